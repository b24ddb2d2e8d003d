//! Programs kept in the repo as source and built on first use (the Go and Java peers, the
//! listen shim):
//! the build's output is cached under `$XDG_CACHE_HOME/mtls-harness` (or
//! `~/.cache/mtls-harness`) by the hash of its source, so a changed program is rebuilt and an
//! unchanged one is built once per machine. Each build runs in a new directory of its own and
//! its output is renamed into place, so concurrent runs never see half of one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::process::{io_err, ProcessError};

/// The cache directory, if the environment names one.
fn cache_root() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .or_else(|| from("HOME").map(|h| h.join(".cache")))
        .map(|c| c.join("mtls-harness"))
}

/// The first 16 hex digits of the SHA-256 of `source`.
pub fn source_hash(source: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(source.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// What to build: a source file and the command that turns it into the output.
pub struct Build<'a> {
    /// The cache entry's name prefix (`go-server`).
    pub name: &'a str,
    /// The source file's name (`go_server.go`).
    pub file_name: &'a str,
    /// The source text.
    pub source: &'a str,
    /// A path inside the output whose presence says the output is whole (`""`: the output
    /// itself, a file).
    pub marker: &'a str,
    /// The build command, given the source file and the output path to create.
    pub command: &'a dyn Fn(&Path, &Path) -> Command,
}

/// The built output of `build`: the cached one, or built now into the cache (into `fallback`
/// when there is no cache directory).
///
/// # Errors
/// [`ProcessError::Files`] when a directory cannot be written or the build fails (with the
/// compiler's output).
pub fn built(build: &Build<'_>, fallback: &Path) -> Result<PathBuf, ProcessError> {
    let root = cache_root().unwrap_or_else(|| fallback.to_path_buf());
    let name = format!("{}-{}", build.name, source_hash(build.source));
    let output = root.join(&name);
    let whole = |p: &Path| {
        if build.marker.is_empty() {
            p.is_file()
        } else {
            p.join(build.marker).exists()
        }
    };
    if whole(&output) {
        return Ok(output);
    }
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&root)
            .map_err(io_err(&root))?;
    }
    let work = root.join(format!(
        "{name}.build-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    crate::fsutil::create_new_dir(&work).map_err(io_err(&work))?;
    let result = (|| {
        let source = work.join(build.file_name);
        crate::fsutil::write_atomic(&source, build.source.as_bytes(), 0o644)
            .map_err(io_err(&source))?;
        let out = work.join("out");
        let ran = (build.command)(&source, &out)
            .current_dir(&work)
            .stdin(Stdio::null())
            .output()
            .map_err(io_err(&source))?;
        if !ran.status.success() {
            return Err(ProcessError::Files {
                path: source,
                source: std::io::Error::other(format!(
                    "building {} failed: {}",
                    build.name,
                    String::from_utf8_lossy(&ran.stderr).trim()
                )),
            });
        }
        // Another run may have put the same output in place meanwhile: theirs is as good.
        if std::fs::rename(&out, &output).is_err() && !whole(&output) {
            return Err(ProcessError::Files {
                path: output.clone(),
                source: std::io::Error::other("could not move the build output into the cache"),
            });
        }
        Ok(output.clone())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// `go build -o OUT SOURCE` with the standard library only (never the network) and, without
/// HOME, a build cache next to the source (Go needs one). The Go server and client are built so.
pub fn go_build(go: &Path, source: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(go);
    cmd.arg("build")
        .arg("-o")
        .arg(out)
        .arg(source)
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod");
    if std::env::var_os("GOCACHE").is_none() && std::env::var_os("HOME").is_none() {
        if let Some(dir) = source.parent() {
            cmd.env("GOCACHE", dir.join("go-build"));
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_name_the_source() {
        assert_eq!(source_hash("a").len(), 16);
        assert_ne!(source_hash("a"), source_hash("b"));
    }
}
