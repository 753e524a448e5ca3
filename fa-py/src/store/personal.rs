//! A member's own things: conversations and messages, saved facts, habits, check-ins, export.

use fa_core::{CheckInAnswer, MessageRole, Mood, NewHabit, NewMessage};
use pyo3::prelude::*;

use super::{Store, maybe_instant};
use crate::convert::{id, instant, json_value, named, scope, spawn};
use crate::errors::to_py;

#[pymethods]
impl Store {
    /// The member's conversation on `channel`/`chat_id`, created on first use.
    fn conversation<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        channel: String,
        chat_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move {
            store.conversation(scope, &channel, &chat_id).await
        })
    }

    fn conversations<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.conversations(scope).await })
    }

    #[pyo3(signature = (household, member, conversation, role, content, metadata = None))]
    #[allow(clippy::too_many_arguments)]
    fn append_message<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        conversation: &str,
        role: &str,
        content: String,
        metadata: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let conversation = id(conversation)?;
        let mut message = NewMessage::new(named::<MessageRole>(role)?, content);
        if let Some(metadata) = metadata.filter(|m| !m.is_none()) {
            message = message.with_metadata(json_value("metadata", metadata)?);
        }
        spawn(py, async move {
            store.append_message(scope, conversation, message).await
        })
    }

    /// Appends several `(role, content)` messages in order, all or nothing, in one write.
    fn append_messages<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        conversation: &str,
        messages: Vec<(String, String)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let conversation = id(conversation)?;
        let messages = messages
            .into_iter()
            .map(|(role, content)| Ok(NewMessage::new(named::<MessageRole>(&role)?, content)))
            .collect::<PyResult<Vec<_>>>()?;
        spawn(py, async move {
            store.append_messages(scope, conversation, messages).await
        })
    }

    fn recent_messages<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        conversation: &str,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let conversation = id(conversation)?;
        spawn(py, async move {
            store.recent_messages(scope, conversation, limit).await
        })
    }

    fn save_note<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        content: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.save_note(scope, &content).await })
    }

    #[pyo3(signature = (household, member, query = None))]
    fn notes<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        query: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(
            py,
            async move { store.notes(scope, query.as_deref()).await },
        )
    }

    fn delete_note<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        note: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope, note) = (self.store.clone(), scope(household, member)?, id(note)?);
        spawn(py, async move { store.delete_note(scope, note).await })
    }

    fn forget_memory<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.forget_memory(scope).await })
    }

    #[pyo3(signature = (household, member, name, target_per_week = None))]
    fn create_habit<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        name: String,
        target_per_week: Option<u8>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let mut habit = NewHabit::new(name);
        if let Some(times) = target_per_week {
            habit = habit.with_target_per_week(times);
        }
        spawn(py, async move { store.create_habit(scope, habit).await })
    }

    fn habits<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.habits(scope).await })
    }

    fn set_habit_archived<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        habit: &str,
        archived: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope, habit) = (self.store.clone(), scope(household, member)?, id(habit)?);
        spawn(py, async move {
            store.set_habit_archived(scope, habit, archived).await
        })
    }

    #[pyo3(signature = (household, member, habit, done_at = None, note = None))]
    fn log_habit<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        habit: &str,
        done_at: Option<&str>,
        note: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope, habit) = (self.store.clone(), scope(household, member)?, id(habit)?);
        let done_at = maybe_instant("done_at", done_at)?.unwrap_or_else(|| self.clock.now());
        spawn(py, async move {
            store
                .log_habit(scope, habit, done_at, note.as_deref())
                .await
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn habit_logs<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        habit: &str,
        start: &str,
        end: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope, habit) = (self.store.clone(), scope(household, member)?, id(habit)?);
        let (from, to) = (instant("start", start)?, instant("end", end)?);
        spawn(
            py,
            async move { store.habit_logs(scope, habit, from, to).await },
        )
    }

    /// Records a check-in: a mood from 1 to 5 and `(question, answer)` pairs.
    fn record_check_in<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        mood: u8,
        answers: Vec<(String, String)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let mood = Mood::new(mood).map_err(to_py)?;
        let answers = answers
            .into_iter()
            .map(|(question, answer)| CheckInAnswer { question, answer })
            .collect();
        spawn(py, async move {
            store.record_check_in(scope, mood, answers).await
        })
    }

    fn check_ins<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        start: &str,
        end: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let (from, to) = (instant("start", start)?, instant("end", end)?);
        spawn(py, async move { store.check_ins(scope, from, to).await })
    }

    /// Everything the store keeps about the member, as one JSON document (what `/export` sends).
    fn export_member<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(
            py,
            async move { fa_core::export_member(&*store, scope).await },
        )
    }
}
