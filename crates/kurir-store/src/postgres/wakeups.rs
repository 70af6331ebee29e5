//! Wake-ups across nodes: every write that makes deliveries due (publish, receive, retry, recover) sends
//! `NOTIFY kurir_due` in its transaction, so it is delivered at commit; each node listens on a dedicated
//! connection and wakes its dispatcher. A lost connection is reopened with a growing pause, and the dispatcher
//! is woken once after each reconnect (notifications sent meanwhile are lost); the dispatcher's slow poll is the
//! safety net beneath all of it.

use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::{AsyncMessage, Config, NoTls};

/// The channel the nodes of one database share.
pub(crate) const CHANNEL: &str = "kurir_due";

/// The statement that wakes every node once the transaction holding it commits.
pub(crate) const NOTIFY: &str = "SELECT pg_notify('kurir_due', '')";

/// What a notification calls.
pub use crate::Wake;

/// Listens until the returned task is aborted (or the runtime stops).
pub(crate) fn spawn(config: Config, wake: Wake) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut pause = Duration::from_millis(200);
        loop {
            match listen(&config, &wake).await {
                Ok(()) => pause = Duration::from_millis(200),
                Err(err) => {
                    tracing::warn!(error = %err, "the wake-up connection to PostgreSQL failed; reconnecting");
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    })
}

/// One connection's life: `LISTEN`, then wake on every notification until the connection ends.
async fn listen(config: &Config, wake: &Wake) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    // Polling for messages also drives the connection, so the LISTEN below can run meanwhile.
    let messages = {
        let wake = Arc::clone(wake);
        async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message? {
                    AsyncMessage::Notification(_) => wake(),
                    _ => continue,
                }
            }
            Ok::<(), tokio_postgres::Error>(())
        }
    };
    let driver = tokio::spawn(messages);
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    // Whatever was published while no connection listened is due now.
    wake();
    let ended = driver.await;
    drop(client);
    match ended {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}
