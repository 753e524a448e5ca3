//! Job kinds and notifiers provided by the app (declared in `fa_core::ffi`). Their code runs on a blocking thread of fa's
//! runtime with no lock held.

use std::sync::Arc;

use async_trait::async_trait;
use fa_core::ffi::{Firing, HostJobKind, HostNotifier};
use fa_core::scheduler::{
    DeliveryError, DynJobKind, JobContext, JobError, JobOutput, Notifier, Sent,
};
use fa_core::{MisfirePolicy, Notification};

use crate::error::FaError;
use crate::runtime::host;

struct HostKind {
    kind: Arc<dyn HostJobKind>,
    misfire: MisfirePolicy,
}

pub(super) fn kind(kind: Arc<dyn HostJobKind>, misfire: MisfirePolicy) -> Arc<dyn DynJobKind> {
    Arc::new(HostKind { kind, misfire })
}

#[async_trait]
impl DynJobKind for HostKind {
    fn misfire(&self) -> MisfirePolicy {
        self.misfire
    }

    async fn run(&self, ctx: &JobContext) -> Result<JobOutput, JobError> {
        let firing = Firing {
            job: ctx.job.clone(),
            occurrence: ctx.occurrence.clone(),
            now: ctx.now,
            late: ctx.late,
            local_due: ctx.local_due().to_rfc3339(),
        };
        let kind = self.kind.clone();
        match host(move || kind.run(firing)).await {
            Ok(Ok(Some(text))) => Ok(JobOutput::Message(text)),
            Ok(Ok(None)) => Ok(JobOutput::Nothing),
            Ok(Err(e)) | Err(e) => Err(JobError(e.to_string())),
        }
    }
}

struct HostDelivery {
    notifier: Arc<dyn HostNotifier>,
}

pub(super) fn notifier(notifier: Arc<dyn HostNotifier>) -> Arc<dyn Notifier> {
    Arc::new(HostDelivery { notifier })
}

#[async_trait]
impl Notifier for HostDelivery {
    async fn deliver(&self, notification: &Notification) -> Result<Sent, DeliveryError> {
        let (notifier, notification) = (self.notifier.clone(), notification.clone());
        let delivered = host(move || notifier.deliver(notification))
            .await
            .and_then(|answer| answer);
        match delivered {
            Ok(Some(id)) => Ok(Sent::with_id(id)),
            Ok(None) => Ok(Sent::default()),
            Err(FaError::RateLimited {
                reason,
                retry_after: Some(after),
            }) => Err(DeliveryError::rate_limited(after, reason)),
            Err(
                e
                @ (FaError::InvalidInput { .. } | FaError::NotFound { .. } | FaError::Auth { .. }),
            ) => Err(DeliveryError::permanent(e.to_string())),
            Err(e) => Err(DeliveryError::transient(e.to_string())),
        }
    }
}
