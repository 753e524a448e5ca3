//! Integrations, inbound events, the notification outbox, the audit log, assistant profiles,
//! pending actions and tool preferences.

use fa_core::{
    DeliveryAttempt, DeliveryStatus, HouseholdId, IntegrationStatus, NewAuditEntry,
    NewInboundEvent, NewIntegration, NewNotification, NewPendingAction, NewProfile,
};
use pyo3::prelude::*;
use serde::Serialize;

use super::{Store, maybe_instant};
use crate::convert::{id, instant, json_value, named, scope, spawn};
use crate::errors::invalid;

/// What `record_event` returns: the stored event and whether it was new.
#[derive(Serialize)]
struct RecordedEvent {
    event: fa_core::InboundEvent,
    new: bool,
}

#[pymethods]
impl Store {
    #[pyo3(signature = (household, member, kind, label, settings = None))]
    fn create_integration<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        kind: String,
        label: String,
        settings: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let mut integration = NewIntegration::new(kind, label);
        if let Some(settings) = settings.filter(|s| !s.is_none()) {
            integration = integration.with_settings(json_value("settings", settings)?);
        }
        spawn(py, async move {
            store.create_integration(scope, integration).await
        })
    }

    fn integration<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let integration = id(integration)?;
        spawn(
            py,
            async move { store.integration(scope, integration).await },
        )
    }

    fn integrations<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.integrations(scope).await })
    }

    fn set_integration_status<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
        status: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let (integration, status) = (id(integration)?, named::<IntegrationStatus>(status)?);
        spawn(py, async move {
            store
                .set_integration_status(scope, integration, status)
                .await
        })
    }

    fn delete_integration<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let integration = id(integration)?;
        spawn(py, async move {
            store.delete_integration(scope, integration).await
        })
    }

    fn record_event<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        source: String,
        idempotency_key: String,
        kind: String,
        payload: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        let event = NewInboundEvent::new(
            source,
            idempotency_key,
            kind,
            json_value("payload", payload)?,
        );
        spawn(py, async move {
            let recorded = store.record_event(household, event).await?;
            Ok(RecordedEvent {
                new: recorded.is_new(),
                event: recorded.event().clone(),
            })
        })
    }

    fn event<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        event: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household, event) = (self.store.clone(), id(household)?, id(event)?);
        spawn(py, async move { store.event(household, event).await })
    }

    fn unprocessed_events<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move {
            store.unprocessed_events(household, limit).await
        })
    }

    fn mark_event_processed<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        event: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household, event) = (self.store.clone(), id(household)?, id(event)?);
        spawn(py, async move {
            store.mark_event_processed(household, event).await
        })
    }

    #[pyo3(signature = (household, member, channel, idempotency_key, body, not_before = None))]
    #[allow(clippy::too_many_arguments)]
    fn enqueue_notification<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        channel: String,
        idempotency_key: String,
        body: String,
        not_before: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let mut notification = NewNotification::new(channel, idempotency_key, body);
        if let Some(at) = maybe_instant("not_before", not_before)? {
            notification = notification.not_before(at);
        }
        spawn(py, async move {
            store.enqueue_notification(scope, notification).await
        })
    }

    fn notification<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        notification: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        let notification = id(notification)?;
        spawn(py, async move {
            store.notification(household, notification).await
        })
    }

    /// Notifications whose next attempt is due now (the store's clock), oldest first: for a
    /// delivery loop of your own (a `Runner` does this for you).
    fn due_notifications<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        let now = self.clock.now();
        spawn(py, async move {
            store.due_notifications(household, now, limit).await
        })
    }

    /// Records a delivery attempt: `sent` (with the channel's message id as `detail`),
    /// `retrying` (with `retry_at`) or `given_up`.
    #[pyo3(signature = (household, notification, status, detail = None, retry_at = None))]
    fn record_delivery<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        notification: &str,
        status: &str,
        detail: Option<String>,
        retry_at: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        let notification = id(notification)?;
        let attempt = match (
            named::<DeliveryStatus>(status)?,
            maybe_instant("retry_at", retry_at)?,
        ) {
            (DeliveryStatus::Sent, _) => DeliveryAttempt::sent(detail),
            (DeliveryStatus::Retrying, Some(at)) => {
                DeliveryAttempt::retry_at(detail.unwrap_or_default(), at)
            }
            (DeliveryStatus::GivenUp, _) => DeliveryAttempt::given_up(detail.unwrap_or_default()),
            (other, _) => {
                return Err(invalid(
                    "status",
                    format!(
                        "{other} is not an attempt's outcome; use sent, retrying (with retry_at) or given_up"
                    ),
                ));
            }
        };
        spawn(py, async move {
            store
                .record_delivery(household, notification, attempt)
                .await
        })
    }

    fn delivery_receipts<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        notification: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        let notification = id(notification)?;
        spawn(py, async move {
            store.delivery_receipts(household, notification).await
        })
    }

    #[pyo3(signature = (household, action, actor = None, subject = None, detail = None))]
    fn append_audit<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        action: String,
        actor: Option<&str>,
        subject: Option<String>,
        detail: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        let mut entry = NewAuditEntry::new(actor.map(id).transpose()?, action);
        if let Some(subject) = subject {
            entry = entry.with_subject(subject);
        }
        if let Some(detail) = detail.filter(|d| !d.is_none()) {
            entry = entry.with_detail(json_value("detail", detail)?);
        }
        spawn(
            py,
            async move { store.append_audit(household, entry).await },
        )
    }

    fn audit_log<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move { store.audit_log(household, limit).await })
    }

    #[pyo3(signature = (household, name, system_prompt, model = None, tools = None, temperature = None))]
    #[allow(clippy::too_many_arguments)]
    fn save_profile<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        name: String,
        system_prompt: String,
        model: Option<String>,
        tools: Option<Vec<String>>,
        temperature: Option<f32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        let mut profile = NewProfile::new(name, system_prompt);
        if let Some(model) = model {
            profile = profile.model(model);
        }
        if let Some(tools) = tools {
            profile = profile.tools(tools);
        }
        if let Some(temperature) = temperature {
            profile = profile.temperature(temperature);
        }
        spawn(
            py,
            async move { store.save_profile(household, profile).await },
        )
    }

    fn profile<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move { store.profile(household, &name).await })
    }

    fn profiles<'py>(&self, py: Python<'py>, household: &str) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move { store.profiles(household).await })
    }

    fn delete_profile<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(
            py,
            async move { store.delete_profile(household, &name).await },
        )
    }

    fn pending_action<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        action: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope, action) = (self.store.clone(), scope(household, member)?, id(action)?);
        spawn(py, async move { store.pending_action(scope, action).await })
    }

    /// Stores a change waiting for the member's confirmation (the assistant does this for
    /// tools that change state).
    #[pyo3(signature = (household, member, tool, arguments, summary, expires_at, conversation = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_pending_action<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        tool: String,
        arguments: &Bound<'py, PyAny>,
        summary: String,
        expires_at: &str,
        conversation: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let mut action = NewPendingAction::new(
            tool,
            json_value("arguments", arguments)?,
            summary,
            instant("expires_at", expires_at)?,
        );
        if let Some(conversation) = conversation {
            action = action.in_conversation(id(conversation)?);
        }
        spawn(py, async move {
            store.create_pending_action(scope, action).await
        })
    }

    /// Marks a pending action confirmed or cancelled (once; a second answer is `Conflict`)
    /// without running it: `Assistant.confirm` runs it.
    fn resolve_pending_action<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        action: &str,
        confirm: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope, action) = (self.store.clone(), scope(household, member)?, id(action)?);
        spawn(py, async move {
            store.resolve_pending_action(scope, action, confirm).await
        })
    }

    fn open_pending_actions<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.open_pending_actions(scope).await })
    }

    fn set_tool_confirmation<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        tool: String,
        confirm: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move {
            store.set_tool_confirmation(scope, &tool, confirm).await
        })
    }

    fn tools_without_confirmation<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(
            py,
            async move { store.tools_without_confirmation(scope).await },
        )
    }

    fn save_conversation_summary<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        conversation: &str,
        summary: String,
        through_message: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let (conversation, through) = (id(conversation)?, id(through_message)?);
        spawn(py, async move {
            store
                .save_conversation_summary(scope, conversation, &summary, through)
                .await
        })
    }

    fn conversation_summary<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        conversation: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let conversation = id(conversation)?;
        spawn(py, async move {
            store.conversation_summary(scope, conversation).await
        })
    }
}
