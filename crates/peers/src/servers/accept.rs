//! The accept loop both built-in servers run: every accepted connection on a task of its own,
//! bounded by `--conn-timeout` (so a stalled client costs one task and never holds up the
//! others), a brief back-off when accepting fails (EMFILE and friends), until SIGTERM or
//! Ctrl-C; then the tally.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use super::conn::Tally;
use super::settings::{ServeError, ServerSettings};

/// Serves `listener` until SIGTERM or SIGINT: `connection(tcp, tally)` is called for every
/// accepted connection (on the accepting task, so it can pick the acceptor current at that
/// moment) and the future it returns runs on a task of its own, for at most
/// `args.conn_timeout`. At the end, `server` prints its tally.
///
/// # Errors
/// When the SIGTERM handler cannot be installed.
pub(super) async fn serve_connections<F, Fut>(
    args: &ServerSettings,
    listener: TcpListener,
    server: &str,
    mut connection: F,
) -> Result<(), ServeError>
where
    F: FnMut(TcpStream, Arc<Tally>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tally = Arc::new(Tally::default());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let conn_timeout = args.conn_timeout;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    let served = connection(tcp, Arc::clone(&tally));
                    tokio::spawn(async move {
                        let _ = tokio::time::timeout(conn_timeout, served).await;
                    });
                }
                // EMFILE and friends: back off briefly instead of spinning.
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tally.print_stopping(server);
    Ok(())
}
