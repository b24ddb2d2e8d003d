//! What the one worker loop calls for each ticket: an [`Attempter`] makes one attempt, start
//! to verdict. In-process clients are [`TlsAttempts`] (a TCP connect, then the client's
//! [`Connector`]); process clients (`peers::clients::process`) start one program per attempt.
//! Either way the engine's schedule, warm-up, windows, CPU readings and recorders are the same.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::{attempt, Connector, Ticket};
use crate::measure::Sample;

/// Makes the attempt a ticket asks for.
pub trait Attempter: Send + Sync + 'static {
    /// One attempt for `ticket`, finishing within `timeout` of its start (an attempter may add
    /// its own start-up grace); the sample carries its outcome.
    fn attempt(&self, ticket: Ticket, timeout: Duration) -> impl Future<Output = Sample> + Send;
}

/// An in-process client: each attempt connects to `addr` and hands the stream to `connector`.
pub struct TlsAttempts<C> {
    /// The client.
    pub connector: Arc<C>,
    /// The server.
    pub addr: SocketAddr,
}

impl<C: Connector> Attempter for TlsAttempts<C> {
    fn attempt(&self, ticket: Ticket, timeout: Duration) -> impl Future<Output = Sample> + Send {
        attempt(
            &*self.connector,
            self.addr,
            ticket.identity,
            ticket.intended,
            timeout,
            ticket.resume,
        )
    }
}
