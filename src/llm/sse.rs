//! Server-sent events, as a streamed chat completion sends them: `data:` lines
//! (several are joined with `\n`), an empty line ends an event, `:` starts a
//! comment. Bytes arrive in arbitrary chunks; [`SseParser::feed`] returns the
//! events completed so far. Lines longer than [`MAX_EVENT_BYTES`] are an error,
//! so a server that never sends a newline cannot exhaust memory.

/// The most bytes one event may hold.
pub const MAX_EVENT_BYTES: usize = 8 << 20;

/// One event: its `event:` name (empty if none) and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Incremental parser.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: String,
    data: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, String> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(nl) = memchr::memchr(b'\n', self.buf.get(start..).unwrap_or(&[])) {
            let end = start + nl;
            let mut line = self.buf.get(start..end).unwrap_or(&[]);
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            let line = String::from_utf8_lossy(line).into_owned();
            start = end + 1;
            self.line(&line, &mut out);
        }
        self.buf.drain(..start);
        let pending = self.buf.len() + self.data.as_ref().map_or(0, String::len);
        if pending > MAX_EVENT_BYTES {
            return Err(format!("an event longer than {MAX_EVENT_BYTES} bytes"));
        }
        Ok(out)
    }

    /// Ends the input: a last event not followed by an empty line still counts.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let line = String::from_utf8_lossy(&rest).trim_end_matches('\r').to_owned();
            self.line(&line, &mut out);
        }
        self.line("", &mut out);
        out
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push(SseEvent { event: std::mem::take(&mut self.event), data });
            }
            self.event.clear();
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "event" => self.event = value.to_owned(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_crlf_comments_and_multiline_data() {
        let text = b": keepalive\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: l1\ndata: l2\n\ndata: [DONE]\n\n";
        for cut in 0..text.len() {
            let mut p = SseParser::new();
            let (a, b) = text.split_at(cut);
            let mut evs = p.feed(a).unwrap();
            evs.extend(p.feed(b).unwrap());
            evs.extend(p.finish());
            assert_eq!(
                evs,
                vec![
                    SseEvent { event: String::new(), data: "{\"a\":1}".into() },
                    SseEvent { event: "x".into(), data: "l1\nl2".into() },
                    SseEvent { event: String::new(), data: "[DONE]".into() },
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn unterminated_last_event_counts_at_finish_and_huge_lines_fail() {
        let mut p = SseParser::new();
        assert!(p.feed(b"data: tail").unwrap().is_empty());
        assert_eq!(p.finish(), vec![SseEvent { event: String::new(), data: "tail".into() }]);
        let mut p = SseParser::new();
        let big = vec![b'x'; MAX_EVENT_BYTES + 1];
        assert!(p.feed(&big).is_err());
    }
}
