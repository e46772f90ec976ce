//! Reading raw logs: [`reader`] streams blocks of whole lines, [`record`] parses
//! one line into header fields, a timestamp and content.

pub mod reader;
pub mod record;

pub use reader::{Block, BlockReader, ReadError, ReadStats};
pub use record::{LineParser, Parsed};
