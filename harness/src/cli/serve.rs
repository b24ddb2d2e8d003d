//! `mtls-harness serve`'s flags, for people who start a built-in server by hand. They are the
//! server settings' own types ([`ServerSettings`] and [`RevocationFlags`], derived with the
//! peers crate's `cli` feature), flattened here; the runner passes `--settings FILE` instead.
//! So each setting is defined once, and the server crate knows only the typed value.

use std::path::PathBuf;

use mtls_peers::{Identity, RevocationFlags};

use crate::peers::{ServeError, ServerSettings};

/// Options of `mtls-harness serve`, for people who start it by hand; the runner passes
/// `--settings FILE` instead. Unset options take [`ServerSettings::default`]'s values.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Read every setting from this JSON file (a [`ServerSettings`], as the runner writes it)
    /// instead of the options below.
    #[arg(long, exclusive = true)]
    pub settings: Option<PathBuf>,
    /// The server's certificate and key (required unless `--settings`).
    #[command(flatten)]
    pub identity: Option<Identity>,
    /// The server's other settings.
    #[command(flatten)]
    pub server: ServerSettings,
    /// The revocation mode and its settings.
    #[command(flatten)]
    pub revocation: RevocationFlags,
}

impl ServeArgs {
    /// The settings these options give: the file's with `--settings`, else the options over
    /// the defaults.
    ///
    /// # Errors
    /// When the settings file cannot be read, or a setting is out of its bounds
    /// ([`ServerSettings::validate`]; the error names the option or the file's key).
    pub fn settings(&self) -> Result<ServerSettings, ServeError> {
        if let Some(path) = &self.settings {
            return ServerSettings::read(path);
        }
        let mut settings = ServerSettings {
            identity: self.identity.clone().unwrap_or_default(),
            ..self.server.clone()
        };
        let revocation = self.revocation.clone().revocation();
        let own = settings.validate();
        match (own, revocation) {
            (Ok(()), Ok(revocation)) => settings.revocation = revocation,
            (Err(a), Err(b)) => return Err(ServeError::Invalid(format!("{a}\n{b}"))),
            (Err(e), _) | (_, Err(e)) => return Err(ServeError::Invalid(e)),
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn settings(flags: &[&str]) -> Result<ServerSettings, String> {
        let args = ["serve", "--cert", "c.pem", "--key", "k.pem"];
        let parsed = Serve::try_parse_from(args.iter().chain(flags)).map_err(|e| e.to_string())?;
        parsed.args.settings().map_err(|e| e.to_string())
    }

    #[test]
    fn the_flags_defaults_are_the_settings_defaults() {
        let mut expected = ServerSettings::default();
        expected.identity.cert = "c.pem".into();
        expected.identity.key = "k.pem".into();
        assert_eq!(settings(&[]).unwrap(), expected);
        // Each mode's defaults too (clap's default strings against the types' Default).
        let staple = settings(&["--staple"]).unwrap();
        assert_eq!(
            staple.revocation,
            mtls_peers::ServerRevocation::Stapling(Default::default(), Default::default())
        );
        let ocsp = settings(&["--ocsp"]).unwrap();
        assert_eq!(
            ocsp.revocation,
            mtls_peers::ServerRevocation::Ocsp(Default::default(), Default::default())
        );
        let crl = settings(&["--crl", "x.crl"]).unwrap();
        let expected = mtls_peers::CrlCheck {
            crl: vec!["x.crl".into()],
            ..Default::default()
        };
        assert_eq!(crl.revocation, mtls_peers::ServerRevocation::Crl(expected));
    }

    #[test]
    fn two_revocation_modes_are_refused_and_bounds_of_every_group_are_checked() {
        let e = settings(&["--ocsp", "--staple"]).unwrap_err();
        assert!(e.contains("give at most one"), "{e}");
        let e = settings(&["--staple-refresh", "0s", "--threads", "0"]).unwrap_err();
        assert!(e.contains("--staple-refresh: expected an interval"), "{e}");
        assert!(e.contains("--threads: expected 1 to 1024 threads"), "{e}");
    }
}
