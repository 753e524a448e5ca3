//! The assistant's turn loop on a scripted model: tool calls run, results go back, pending
//! actions, malformed arguments, offline fallback, context budget, roles and profiles.

mod engine;
mod isolation;
mod offline;
mod turn;
