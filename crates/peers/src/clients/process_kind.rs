//! Which scenario clients run as programs: the one mapping from [`ClientImpl`] to
//! [`ProcessClientKind`], so the runner dispatches on "in process or a program" and adding a
//! process client stack touches its adapter, its record and this match.

use super::process::ProcessClientKind;
use crate::scenario::ClientImpl;

impl ProcessClientKind {
    /// The program behind `client`, or `None` for the in-process clients (rustls, OpenSSL).
    pub fn of(client: ClientImpl) -> Option<Self> {
        Some(match client {
            ClientImpl::Rustls | ClientImpl::Openssl => return None,
            ClientImpl::SClient => Self::SClient,
            ClientImpl::Node => Self::Node,
            ClientImpl::Curl => Self::Curl,
            ClientImpl::GnutlsCli => Self::GnutlsCli,
            ClientImpl::Go => Self::Go,
            ClientImpl::Java => Self::Java,
        })
    }
}
