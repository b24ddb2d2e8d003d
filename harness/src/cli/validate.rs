//! `mtls-harness validate`: checks scenario files without running them and prints every
//! problem of every file (exit code 2 when any file has one; a closed stdout changes nothing).

use std::path::PathBuf;

use super::console::{errln, outln};
use super::exit::{EXIT_ERROR, EXIT_OK};
use crate::scenario;

pub(super) fn validate(files: &[PathBuf]) -> u8 {
    let mut code = EXIT_OK;
    for file in files {
        match scenario::load(file) {
            Ok(s) => outln(&format!("{}: ok ({} cases)", file.display(), s.cases.len())),
            Err(e) => {
                errln(&e.to_string());
                code = EXIT_ERROR;
            }
        }
    }
    code
}
