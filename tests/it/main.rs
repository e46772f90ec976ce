//! Integration tests on the real Loghub samples and the real binary.
//! One test binary (to keep link time down), one module per subject.

mod accuracy;
mod analyze;
mod bad_input;
mod common;
mod follow;
mod golden;
mod headers;
mod incremental;
mod index_cli;
mod index_loki;
mod llm;
mod loki_client;
mod loki_golden;
mod loki_paging;
mod loki_push;
mod loki_server;
mod loki_tls;
mod open_files;
mod pipeline;
mod query_cli;
mod reasoning;
mod scan;
mod structured;
mod tui_pty;
mod tui_worker;
