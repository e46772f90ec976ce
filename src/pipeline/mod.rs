//! The online pipeline: a question becomes a checked LogQL query, runs, is
//! repaired when it fails, and ends in an answer that quotes the results.
//! Built as a stream of events for a UI: [`start`] returns a
//! [`PipelineHandle`] (events, cancel, guard confirmation); nothing here draws.
//!
//! Stages (see [`event::Stage`]): dispatch ([`dispatch`]) → retrieve (hybrid,
//! packed under a token budget) → generate (the deterministic [`builder`],
//! then the model with few-shot examples, [`generate`]) → check (our parser)
//! → guard ([`guard`], limits on Loki) → execute (the configured backend) →
//! on failure: diagnose ([`diagnose`]), refine (retrieval again), repair
//! (bounded by `pipeline.max_repairs`) → answer (streamed, [`answer`]).
//! Without a model, the builder's query and its results are the answer, with
//! a note saying so.
//!
//! - [`context`]: [`PipelineContext`] (app, knowledge, backend, model, limits) and [`AskRequest`].
//! - [`event`]: [`PipelineEvent`], [`Outcome`]; [`record`]: the results file.
//! - [`plan`]: a query and how it runs over a window (`$__range`).
//! - [`intent`], [`phrasing`], [`subject`] (with [`lexicon`]), [`slot`], [`template_query`], [`builder`]: the
//!   deterministic query builder.
//! - [`inspect`], [`results`], [`fewshot`]: helpers.
//! - `run`, `query`, `answer`: the state machine; [`handle`]: spawning it.

mod answer;
pub mod builder;
pub mod context;
mod describe;
pub mod diagnose;
pub mod dispatch;
pub mod event;
pub mod fewshot;
pub mod generate;
pub mod guard;
pub mod handle;
pub mod inspect;
pub mod intent;
pub mod lexicon;
pub mod phrasing;
pub mod plan;
mod query;
pub mod record;
pub mod results;
mod run;
pub mod slot;
pub mod subject;
pub mod template_query;

pub use builder::{BuildContext, Built, build};
pub use context::{AskRequest, PipelineContext};
pub use event::{CandidateSource, GuardDecision, Outcome, PipelineEvent, QuestionKind, RepairReason, Stage, Status, Usage};
pub use handle::{Confirm, PipelineHandle, ask, start};
pub use plan::{QueryMode, QueryPlan, Request};
pub use results::AnswerValue;
pub use template_query::TemplateQuery;
