//! The allow-list's names as single-quoted words, for the adapters whose configuration holds
//! them as quoted literals (HAProxy's `-m str` patterns, Apache's ap_expr string lists): names of
//! plain characters only, which need no escaping in either; any other name skips the case with
//! the reason.

use super::process::ProcessError;
use crate::scenario::Case;

/// The case's `allowed_clients`, each as `'name'`, or [`ProcessError::Skipped`] naming the
/// adapter and the first name that is not made of letters, digits and `._-@`.
///
/// # Errors
/// [`ProcessError::Skipped`] for a name the adapter cannot write.
pub fn quoted_allow_list(case: &Case, adapter: &str) -> Result<Vec<String>, ProcessError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-@".contains(c);
    case.allowed_clients
        .iter()
        .map(|n| {
            if !n.is_empty() && n.chars().all(plain) {
                Ok(format!("'{n}'"))
            } else {
                Err(ProcessError::Skipped {
                    reason: format!(
                        "the {adapter} adapter writes allow-list names of letters, digits and ._-@ only; {n:?} is not one"
                    ),
                })
            }
        })
        .collect()
}
