//! The online pipeline: a question becomes a checked LogQL query, runs, is
//! repaired when it fails, and ends in an answer.
//!
//! - [`plan`]: a query and how it runs over a time window (`$__range`).
//! - [`intent`], [`template_query`], [`builder`]: the deterministic query builder.

pub mod builder;
pub mod intent;
pub mod plan;
pub mod template_query;

pub use builder::{BuildContext, Built, build};
pub use plan::{QueryMode, QueryPlan, Request};
pub use template_query::TemplateQuery;
