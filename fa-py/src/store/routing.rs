//! Routing rules, events a source could not read, and recent events.

use fa_core::{HouseholdId, RouteRuleId, RouteSpec};
use pyo3::prelude::*;

use super::Store;
use crate::convert::{id, scope, spawn, typed};

#[pymethods]
impl Store {
    /// Adds a rule sending the member the events it matches (`spec`: kinds, min_amount,
    /// marketplaces, quiet_hours, delivery, channel).
    fn add_route_rule<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let spec: RouteSpec = typed("spec", spec)?;
        spawn(py, async move { store.add_route_rule(scope, spec).await })
    }

    fn route_rules<'py>(&self, py: Python<'py>, household: &str) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move { store.route_rules(household).await })
    }

    fn delete_route_rule<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        rule: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let rule = id::<RouteRuleId>(rule)?;
        spawn(
            py,
            async move { store.delete_route_rule(scope, rule).await },
        )
    }

    fn failed_events<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(
            py,
            async move { store.failed_events(household, limit).await },
        )
    }

    #[pyo3(signature = (household, source, kinds, limit = 20))]
    fn recent_events<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        source: String,
        kinds: Vec<String>,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move {
            store.recent_events(household, &source, &kinds, limit).await
        })
    }
}
