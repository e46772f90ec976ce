//! The LLM layer against a local OpenAI-compatible server (`server`): the
//! client and its faults (`client`), and the summarize/embed phases on the
//! HDFS sample (`knowledge_base`).

pub mod client;
mod knowledge_base;
pub mod server;
