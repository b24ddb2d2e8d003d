//! The error for a name that is none of an enum's names. The enums of `pki` and `scenario`
//! take their names (in scenario files, on the command line, in reports) from strum derives;
//! they share this parse error, so every "expected one of ..." lists the valid names the same
//! way, and a caller gets the name it was given and the valid ones, not a preformatted string.

/// A name that is none of a type's names. It displays as the part after "expected": `one of
/// "a", "b"` (or `one of a, b` for the types whose list was always unquoted: key types and
/// client credentials).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("one of {}", list(valid, *quoted))]
pub struct UnknownName {
    /// The name that was given.
    pub found: String,
    /// Every valid name, in declaration order.
    pub valid: &'static [&'static str],
    /// Whether the list quotes each name.
    quoted: bool,
}

impl UnknownName {
    /// `found` is none of `T`'s names; the list quotes them.
    pub fn quoted<T: strum::VariantNames>(found: &str) -> Self {
        Self {
            found: found.to_string(),
            valid: T::VARIANTS,
            quoted: true,
        }
    }

    /// `found` is none of `T`'s names; the list shows them bare.
    pub fn plain<T: strum::VariantNames>(found: &str) -> Self {
        Self {
            found: found.to_string(),
            valid: T::VARIANTS,
            quoted: false,
        }
    }

    /// Whether `name` is one of the valid names the message lists.
    pub fn contains(&self, name: &str) -> bool {
        self.valid.contains(&name)
    }
}

fn list(valid: &[&str], quoted: bool) -> String {
    let names: Vec<String> = valid
        .iter()
        .map(|n| {
            if quoted {
                format!("\"{n}\"")
            } else {
                (*n).to_string()
            }
        })
        .collect();
    names.join(", ")
}
