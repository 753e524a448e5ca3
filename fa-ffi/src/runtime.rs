//! fa's own Tokio runtime. Every async call of the bindings runs there, so the app's executor
//! (Kotlin coroutines, Swift tasks, asyncio) only waits for an answer; and every call into the
//! app's code runs on a blocking thread of it, never on a worker that the app could stall.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::error::{FaError, Result};

fn runtime() -> Result<&'static Runtime> {
    static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("fa-runtime")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| FaError::Other {
            reason: format!("fa's runtime could not start: {e}"),
        })
}

/// A task being waited for; dropping the wait (the app cancelled its coroutine) stops it.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = std::result::Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` on fa's runtime and waits for it. Cancelling the wait cancels the work.
pub(crate) async fn run<T, E>(
    work: impl Future<Output = Result<T, E>> + Send + 'static,
) -> Result<T>
where
    T: Send + 'static,
    E: Into<FaError> + Send + 'static,
{
    let task = AbortOnDrop(runtime()?.spawn(work));
    task.await?.map_err(Into::into)
}

/// Starts `work` on fa's runtime in the background.
pub(crate) fn spawn(work: impl Future<Output = ()> + Send + 'static) -> Result<JoinHandle<()>> {
    Ok(runtime()?.spawn(work))
}

/// Runs the app's code (`call`) on a blocking thread and waits for it: the app may block there
/// (a Kotlin `runBlocking`, a slow on-device model) without stalling fa. Called with no lock held.
pub(crate) async fn host<T: Send + 'static>(
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    Ok(runtime()?.spawn_blocking(call).await?)
}
