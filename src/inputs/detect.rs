//! The format of lines nobody described, found from a sample of them. JSON
//! lines and logfmt are recognised by their shape. Plain text is tried
//! against a table of well-known layouts: a header pattern with its timestamp
//! (RFC 3339 / ISO 8601 with `.` or `,` fractions, epoch seconds to
//! nanoseconds, RFC 3164 syslog, Apache and nginx access and error logs,
//! Python and Java logging, Go's `2009/11/10 23:00:00`, `yyMMdd HHmmss`,
//! `yy/MM/dd HH:mm:ss`, W3C). The layout that gives the most lines a
//! timestamp wins; a level field must hold level words; ties go to the
//! layout with more fields. The result is an ordinary dataset definition.

use std::path::Path;

use crate::dataset::{FieldSpans, HeaderFormat, LevelMap, TimestampSpec};

/// A layout found for the lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// What it is, for people: `syslog (RFC 3164)`.
    pub name: String,
    /// The dataset's `format`: a header pattern, `json` or `logfmt`.
    pub format: String,
    /// `[timestamp]`: fields, strftime format (or `rfc3339`/`auto`), year.
    pub timestamp: Option<(String, String, Option<i32>)>,
    /// `[labels]`: label → header field.
    pub labels: Vec<(&'static str, &'static str)>,
    /// Lines of the sample that fit, of all.
    pub fit: (usize, usize),
    /// Lines that do not fit continue the record before them (stack traces,
    /// indented continuations): `[multiline] join`.
    pub join: bool,
}

struct Layout {
    name: &'static str,
    pattern: &'static str,
    stamp: &'static str,
    format: &'static str,
    labels: &'static [(&'static str, &'static str)],
}

const LEVEL: &[(&str, &str)] = &[("level", "Level")];
const SYSLOG: &[(&str, &str)] = &[("host", "Host"), ("program", "Program")];
const ACCESS: &[(&str, &str)] = &[("method", "Method"), ("status", "Status")];

/// The layouts, most specific first within a family.
const LAYOUTS: &[Layout] = &[
    // ISO 8601 / RFC 3339 or epoch first, then a level.
    Layout { name: "ISO 8601 time, level", pattern: r"<Timestamp> \[?<Level>\]?:? <Content>", stamp: "<Timestamp>", format: "auto", labels: LEVEL },
    Layout { name: "ISO 8601 time", pattern: "<Timestamp> <Content>", stamp: "<Timestamp>", format: "auto", labels: &[] },
    Layout {
        name: "bracketed ISO 8601 time, level",
        pattern: r"\[<Timestamp>\] \[?<Level>\]?:? <Content>",
        stamp: "<Timestamp>",
        format: "auto",
        labels: LEVEL,
    },
    Layout { name: "bracketed ISO 8601 time", pattern: r"\[<Timestamp>\] <Content>", stamp: "<Timestamp>", format: "auto", labels: &[] },
    // A date and a time: Python/Java logging, Go, W3C, Spark, HDFS-like.
    Layout { name: "date time (ISO), level", pattern: r"<Date> <Time> \[?<Level>\]?:? <Content>", stamp: "<Date> <Time>", format: "rfc3339", labels: LEVEL },
    Layout {
        name: "Python logging",
        pattern: "<Date> <Time> - <Logger> - <Level> - <Content>",
        stamp: "<Date> <Time>",
        format: "%Y-%m-%d %H:%M:%S,%3f",
        labels: &[("level", "Level"), ("logger", "Logger")],
    },
    Layout {
        name: "date time with a comma fraction, level",
        pattern: r"<Date> <Time> \[?<Level>\]?:? <Content>",
        stamp: "<Date> <Time>",
        format: "%Y-%m-%d %H:%M:%S,%3f",
        labels: LEVEL,
    },
    Layout {
        name: "date time with a comma fraction",
        pattern: "<Date> <Time> <Content>",
        stamp: "<Date> <Time>",
        format: "%Y-%m-%d %H:%M:%S,%3f",
        labels: &[],
    },
    Layout { name: "date time (ISO)", pattern: "<Date> <Time> <Content>", stamp: "<Date> <Time>", format: "rfc3339", labels: &[] },
    Layout { name: "Go log (yyyy/MM/dd HH:mm:ss)", pattern: "<Date> <Time> <Content>", stamp: "<Date> <Time>", format: "%Y/%m/%d %H:%M:%S%.f", labels: &[] },
    Layout {
        name: "yy/MM/dd HH:mm:ss, level",
        pattern: r"<Date> <Time> <Level> <Content>",
        stamp: "<Date> <Time>",
        format: "%y/%m/%d %H:%M:%S",
        labels: LEVEL,
    },
    Layout { name: "yyMMdd HHmmss, level", pattern: "<Date> <Time> <Pid> <Level> <Content>", stamp: "<Date> <Time>", format: "%y%m%d %H%M%S", labels: LEVEL },
    Layout { name: "yyMMdd HHmmss", pattern: "<Date> <Time> <Content>", stamp: "<Date> <Time>", format: "%y%m%d %H%M%S", labels: &[] },
    // Servers with a layout of their own.
    Layout { name: "MySQL", pattern: r"<Timestamp> <Thread> \[<Level>\] <Content>", stamp: "<Timestamp>", format: "auto", labels: LEVEL },
    Layout { name: "PostgreSQL", pattern: r"<Date> <Time> <Tz:[A-Z]{2,5}> \[<Pid>\] <Content>", stamp: "<Date> <Time>", format: "rfc3339", labels: &[] },
    Layout {
        name: "Ruby logger",
        pattern: r"<Letter:[DIWEFA]>, \[<Timestamp> #<Pid>\] +<Level> -- <Program>: <Content>",
        stamp: "<Timestamp>",
        format: "auto",
        labels: LEVEL,
    },
    Layout { name: "Elasticsearch", pattern: r"\[<Timestamp>\]\[<Level> *\]<Content>", stamp: "<Timestamp>", format: "%Y-%m-%dT%H:%M:%S,%3f", labels: LEVEL },
    Layout {
        name: "bracketed date time with a comma fraction, level (Kafka)",
        pattern: r"\[<Date> <Time>\] <Level> <Content>",
        stamp: "<Date> <Time>",
        format: "%Y-%m-%d %H:%M:%S,%3f",
        labels: LEVEL,
    },
    Layout {
        name: "Redis",
        pattern: r"<Pid>:<Role:[XCSM]> <Day> <Month> <Year> <Time> <Mark:[.*#-]> <Content>",
        stamp: "<Day> <Month> <Year> <Time>",
        format: "%d %b %Y %H:%M:%S%.3f",
        labels: &[],
    },
    Layout {
        name: "Apache 2.4 error log",
        pattern: r"\[<Timestamp>\] \[<Module>:<Level>\] <Content>",
        stamp: "<Timestamp>",
        format: "%a %b %d %H:%M:%S%.6f %Y",
        labels: &[("level", "Level"), ("module", "Module")],
    },
    // Month and day in either order: the values decide (a 13 first is a day).
    Layout { name: "MM/dd/yyyy HH:mm:ss", pattern: "<Date> <Time> <Content>", stamp: "<Date> <Time>", format: "%m/%d/%Y %H:%M:%S%.f", labels: &[] },
    Layout { name: "dd/MM/yyyy HH:mm:ss", pattern: "<Date> <Time> <Content>", stamp: "<Date> <Time>", format: "%d/%m/%Y %H:%M:%S%.f", labels: &[] },
    // glog: `I0517 15:04:22.619632  1234 main.go:42] msg` (year-less).
    Layout {
        name: "glog",
        pattern: r"<Level:[IWEF]><Date:\d{4}> <Time> +<Thread> <Source>\] <Content>",
        stamp: "<Date> <Time>",
        format: "%m%d %H:%M:%S%.f",
        labels: LEVEL,
    },
    // Syslog (RFC 5424), and RFC 3164 with its priority.
    Layout {
        name: "syslog (RFC 5424)",
        pattern: r"[<]<Pri:\d{1,3}>[>]1 <Timestamp> <Host> <Program> <Pid> <Msgid> <Content>",
        stamp: "<Timestamp>",
        format: "rfc3339",
        labels: SYSLOG,
    },
    Layout {
        name: "syslog (RFC 3164) with priority",
        pattern: r"[<]<Pri:\d{1,3}>[>]<Month> <Day> <Time> <Host> <Program>(\[<Pid>\])?: <Content>",
        stamp: "<Month> <Day> <Time>",
        format: "%b %d %H:%M:%S",
        labels: SYSLOG,
    },
    // Syslog (RFC 3164): year-less.
    Layout {
        name: "syslog (RFC 3164)",
        pattern: r"<Month> <Day> <Time> <Host> <Program>(\[<Pid>\])?: <Content>",
        stamp: "<Month> <Day> <Time>",
        format: "%b %d %H:%M:%S",
        labels: SYSLOG,
    },
    // Apache / nginx.
    Layout {
        name: "access log (combined)",
        pattern: r#"<Client> <Ident> <User> \[<Timestamp>\] "<Method> <Path> <Protocol>" <Status> <Size> "<Referer>" "<Agent>"<Content>"#,
        stamp: "<Timestamp>",
        format: "%d/%b/%Y:%H:%M:%S %z",
        labels: ACCESS,
    },
    Layout {
        name: "access log (common)",
        pattern: r#"<Client> <Ident> <User> \[<Timestamp>\] "<Method> <Path> <Protocol>" <Status> <Size><Content>"#,
        stamp: "<Timestamp>",
        format: "%d/%b/%Y:%H:%M:%S %z",
        labels: ACCESS,
    },
    Layout { name: "Apache error log", pattern: r"\[<Timestamp>\] \[<Level>\] <Content>", stamp: "<Timestamp>", format: "%a %b %d %H:%M:%S %Y", labels: LEVEL },
    Layout { name: "nginx error log", pattern: r"<Date> <Time> \[<Level>\] <Content>", stamp: "<Date> <Time>", format: "%Y/%m/%d %H:%M:%S", labels: LEVEL },
];

/// Prefixes of multiplexed output, tried before every layout: docker
/// compose's `web-1  | …` and kubectl's or stern's `[pod/x/container] …`;
/// what they name becomes a label.
/// (pattern, how it is said, labels).
type Prefix = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

const PREFIXES: &[Prefix] =
    &[("", "", &[]), (r"<Container:[\w.-]+> +\| ", "docker compose: ", &[("container", "Container")]), (r"\[<Pod:[^\]]+>\] ", "kubectl: ", &[("pod", "Pod")])];

/// Share of the sample a layout must read (with a timestamp).
const MIN_FIT: f64 = 0.8;

/// The layout of `lines` (a sample, without line ends), or None. `year`: the
/// year of year-less stamps (the file's modification year).
pub fn detect(raw: &[String], year: i32) -> Option<Detected> {
    let raw: Vec<&str> = raw.iter().map(String::as_str).filter(|l| !l.trim().is_empty()).collect();
    let lines: Vec<&str> = raw.iter().map(|l| l.trim()).collect();
    if lines.is_empty() {
        return None;
    }
    // Continuation lines (stack traces) do not count against a layout.
    let continuations = raw.iter().skip(1).filter(|l| continuation(l)).count();
    if let Some(d) = structured(&lines) {
        return Some(d);
    }
    if let Some(d) = table(&lines) {
        return Some(d);
    }
    let levels = LevelMap::new(&Default::default()).ok()?;
    let mut best: Option<(usize, usize, Detected)> = None;
    for (prefix, said, prefix_labels) in PREFIXES {
        for l in LAYOUTS {
            let pattern = format!("{prefix}{}", l.pattern);
            let Ok(header) = HeaderFormat::new(&pattern) else { continue };
            let yearless = !l.format.contains('%') || !["%Y", "%y", "%s"].iter().any(|y| l.format.contains(y));
            let year_opt = (yearless && l.format.contains('%')).then_some(year);
            let Ok(ts) = TimestampSpec::new(l.stamp, header.fields(), l.format, "UTC", year_opt) else { continue };
            let level = header.field_index("Level");
            let mut spans = FieldSpans::default();
            let (mut fit, mut leveled) = (0, 0);
            let mut buf = String::new();
            for line in &lines {
                if !header.match_line(line, &mut spans) {
                    continue;
                }
                let sp = spans.as_slice();
                let field = |i: usize| sp.get(i).and_then(|&(a, b)| line.get(a as usize..b as usize)).unwrap_or("");
                ts.stamp_text(field, &mut buf);
                if ts.parse_text(&buf).is_none() {
                    continue;
                }
                fit += 1;
                if level.is_some_and(|i| levels.normalise(field(i)) != 0) {
                    leveled += 1;
                }
            }
            // A level field must hold levels on most lines that fit.
            if level.is_some() && (leveled as f64) < fit as f64 * 0.9 {
                continue;
            }
            let starts = lines.len() - continuations;
            if fit == 0 || (fit as f64) < starts as f64 * MIN_FIT {
                continue;
            }
            let fields = header.fields().len();
            let better = best.as_ref().is_none_or(|(f, n, _)| (fit, fields) > (*f, *n));
            if better {
                let d = Detected {
                    name: format!("{said}{}", l.name),
                    format: pattern,
                    timestamp: Some((l.stamp.to_owned(), l.format.to_owned(), year_opt)),
                    labels: prefix_labels.iter().chain(l.labels).copied().collect(),
                    fit: (fit, lines.len()),
                    join: continuations > 0 && fit < lines.len(),
                };
                best = Some((fit, fields, d));
            }
        }
    }
    best.map(|(_, _, d)| d)
}

/// A line that continues a record: indented, or a stack trace's frame,
/// cause or ellipsis, or a Python traceback.
fn continuation(raw: &str) -> bool {
    let t = raw.trim_start();
    raw.starts_with([' ', '\t'])
        || ["at ", "Caused by:", "... ", "Traceback (", "File \"", "Suppressed:"].iter().any(|p| t.starts_with(p))
        || t.split(':').next().is_some_and(|h| (h.ends_with("Exception") || h.ends_with("Error")) && !h.contains(' '))
}

/// JSON lines or logfmt, by their shape (90 % of the lines).
fn structured(lines: &[&str]) -> Option<Detected> {
    let json = lines.iter().filter(|l| l.starts_with('{') && serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l).is_ok()).count();
    let need = (lines.len() * 9).div_ceil(10);
    if json >= need {
        return Some(Detected { name: "JSON lines".into(), format: "json".into(), timestamp: None, labels: Vec::new(), fit: (json, lines.len()), join: false });
    }
    let logfmt = lines.iter().filter(|l| is_logfmt(l)).count();
    (logfmt >= need).then(|| Detected {
        name: "logfmt".into(),
        format: "logfmt".into(),
        timestamp: None,
        labels: Vec::new(),
        fit: (logfmt, lines.len()),
        join: false,
    })
}

/// CSV or TSV with a header row: the header names the fields, a column
/// named like a message is the content (else the last), the first column
/// whose values are times is the stamp, a `level` column is a label.
fn table(lines: &[&str]) -> Option<Detected> {
    let (head, rows) = lines.split_first()?;
    if rows.is_empty() {
        return None;
    }
    for (delim, shown, name) in [('\t', "\t", "TSV"), (',', ",", "CSV"), (';', ";", "CSV (;)"), ('|', r"\|", "table (|)")] {
        let names: Vec<&str> = head.split(delim).map(str::trim).collect();
        let ident = |s: &str| !s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-. @".contains(c));
        if names.len() < 3 || !names.iter().all(|n| ident(n)) {
            continue;
        }
        let same = rows.iter().filter(|r| r.split(delim).count() == names.len()).count();
        if same * 10 < rows.len() * 9 {
            continue;
        }
        // Field names as the header pattern allows, each once.
        let mut fields: Vec<String> = Vec::new();
        for n in &names {
            let mut f: String = n.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            if f.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                f.insert(0, 'F');
            }
            while fields.contains(&f) {
                f.push('_');
            }
            fields.push(f);
        }
        let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        let content = lower.iter().position(|n| ["message", "msg", "text", "log", "content"].contains(&n.as_str())).unwrap_or(fields.len() - 1);
        fields[content] = "Content".to_owned();
        let column = |i: usize| rows.iter().filter_map(move |r| r.split(delim).nth(i).map(str::trim));
        let mut stamp = None;
        'cols: for i in (0..fields.len()).filter(|&i| i != content) {
            for fmt in ["auto", "%Y-%m-%d %H:%M:%S%.f", "%Y/%m/%d %H:%M:%S%.f", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S"] {
                let f = [format!("F{i}")];
                let Ok(ts) = TimestampSpec::new(&format!("<F{i}>"), &f, fmt, "UTC", None) else { continue };
                let ok = column(i).filter(|v| ts.parse_text(v).is_some()).count();
                if ok * 10 >= rows.len() * 9 {
                    stamp = Some((format!("<{}>", fields[i]), fmt.to_owned()));
                    break 'cols;
                }
            }
        }
        let (stamp_fields, format) = stamp?;
        let level = lower.iter().position(|n| ["level", "severity", "lvl", "loglevel"].contains(&n.as_str())).filter(|&i| i != content);
        let mut labels = Vec::new();
        if let Some(i) = level {
            fields[i] = "Level".to_owned();
            labels.push(("level", "Level"));
        }
        let pattern = fields.iter().map(|f| format!("<{f}>")).collect::<Vec<_>>().join(shown);
        return Some(Detected {
            name: format!("{name} with a header row"),
            format: pattern,
            timestamp: Some((stamp_fields, format, None)),
            labels,
            fit: (same, rows.len()),
            join: false,
        });
    }
    None
}

/// At least three `key=value` pairs, the first at the start.
fn is_logfmt(l: &str) -> bool {
    let first = l.split_whitespace().next().unwrap_or("");
    let key_ok = |t: &str| t.split_once('=').is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "_.-@".contains(c)));
    key_ok(first) && l.split_whitespace().filter(|t| key_ok(t)).count() >= 3
}

/// The modification year of a file (else this year), for year-less stamps.
pub fn year_of(path: &Path) -> i32 {
    use chrono::Datelike;
    let when = std::fs::metadata(path).and_then(|m| m.modified()).ok().map(chrono::DateTime::<chrono::Utc>::from);
    when.unwrap_or_else(chrono::Utc::now).year()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_owned).collect()
    }

    /// The detected layout's name, and the stamp of every line as RFC 3339.
    fn stamps(text: &str) -> (String, Vec<String>) {
        let d = detect(&lines(text), 2026).expect("detected");
        let header = HeaderFormat::new(&d.format).unwrap();
        let (f, fmt, year) = d.timestamp.clone().unwrap();
        let ts = TimestampSpec::new(&f, header.fields(), &fmt, "UTC", year).unwrap();
        let mut spans = FieldSpans::default();
        let mut out = Vec::new();
        for l in text.lines() {
            assert!(header.match_line(l.trim(), &mut spans), "{l}");
            let sp = spans.as_slice();
            let mut buf = String::new();
            ts.stamp_text(|i| sp.get(i).and_then(|&(a, b)| l.trim().get(a as usize..b as usize)).unwrap_or(""), &mut buf);
            let ns = ts.parse_text(&buf).unwrap_or_else(|| panic!("no stamp in {l}"));
            out.push(crate::dataset::timestamp::rfc3339(ns));
        }
        (d.name, out)
    }

    #[test]
    fn well_known_layouts_and_their_stamps() {
        let (n, s) = stamps("2024-05-01T10:00:00.250Z INFO started\n2024-05-01T10:00:01+02:00 WARN slow disk\n2024-05-01T10:00:02.5 ERROR failed\n");
        assert_eq!(n, "ISO 8601 time, level");
        assert_eq!(s[1], "2024-05-01T08:00:01Z");
        let (n, s) = stamps("2024-01-01 12:00:00,123 - app.db - ERROR - connection lost\n2024-01-01 12:00:01,004 - app.web - INFO - request\n");
        assert_eq!(n, "Python logging");
        assert!(s[0].starts_with("2024-01-01T12:00:00.123"), "{s:?}");
        let (n, s) = stamps("Nov  3 09:23:38 web1 sshd[311]: Accepted password for bob\nNov  3 09:23:40 web1 CRON[2]: job\n");
        assert_eq!(n, "syslog (RFC 3164)");
        assert_eq!(s[0], "2026-11-03T09:23:38Z");
        let (n, s) = stamps(r#"10.0.0.1 - - [20/Jul/2009:22:59:26 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8""#);
        assert_eq!(n, "access log (combined)");
        assert_eq!(s[0], "2009-07-20T22:59:26Z");
        let (n, _) = stamps("1700000000123 job done\n1700000001456 job started\n");
        assert_eq!(n, "ISO 8601 time", "epoch milliseconds read by auto");
        let (n, s) = stamps("2009/11/10 23:00:00 listening on :8080\n2009/11/10 23:00:01 ready\n");
        assert_eq!(n, "Go log (yyyy/MM/dd HH:mm:ss)");
        assert_eq!(s[1], "2009-11-10T23:00:01Z");
    }

    #[test]
    fn more_families_their_stamps_and_levels() {
        let (n, s) = stamps("I0517 15:04:22.619632  1234 main.go:42] started\nW0517 15:04:23.000001  1234 disk.go:7] slow\n");
        assert_eq!(n, "glog");
        assert_eq!(s, ["2026-05-17T15:04:22.619632Z", "2026-05-17T15:04:23.000001Z"]);
        let (n, s) =
            stamps("<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [x@1 a=\"3\"] An event\n<34>1 2003-10-11T22:14:16Z mymachine su - - - failed\n");
        assert_eq!(n, "syslog (RFC 5424)");
        assert_eq!(s[0], "2003-10-11T22:14:15.003Z");
        let (n, _) = stamps("<34>Oct 11 22:14:15 mymachine su[12]: 'su root' failed\n<13>Oct 11 22:14:16 mymachine cron: ok\n");
        assert_eq!(n, "syslog (RFC 3164) with priority");
        // Day and month: a 13 in the first place decides.
        let (n, s) = stamps("12/01/2024 10:00:00 a\n13/01/2024 10:00:01 b\n");
        assert_eq!(n, "dd/MM/yyyy HH:mm:ss");
        assert_eq!(s[1], "2024-01-13T10:00:01Z");
        let (n, _) = stamps("01/12/2024 10:00:00 a\n01/13/2024 10:00:01 b\n");
        assert_eq!(n, "MM/dd/yyyy HH:mm:ss");
        // Multiplexed output: the prefix is a label.
        let d = detect(&lines("web-1  | 2024-01-01T00:00:00Z INFO up\ndb-1   | 2024-01-01T00:00:01Z WARN slow\n"), 2026).unwrap();
        assert_eq!(d.name, "docker compose: ISO 8601 time, level");
        assert_eq!(d.labels, [("container", "Container"), ("level", "Level")]);
        let d = detect(&lines("[pod/api-7f/api] 2024-01-01T00:00:00Z started\n[pod/api-7f/api] 2024-01-01T00:00:01Z ok\n"), 2026).unwrap();
        assert_eq!(d.name, "kubectl: ISO 8601 time");
        // Levels found where the layout has them, normalised as datasets do.
        let levels = LevelMap::new(&Default::default()).unwrap();
        let d = detect(&lines("I0517 15:04:22.6  1 a.go:1] x\nE0517 15:04:23.1  1 a.go:2] y\nF0517 15:04:24.1  1 a.go:3] z\n"), 2026).unwrap();
        let h = HeaderFormat::new(&d.format).unwrap();
        let mut sp = FieldSpans::default();
        let got: Vec<u8> = ["I0517 15:04:22.6  1 a.go:1] x", "E0517 15:04:23.1  1 a.go:2] y", "F0517 15:04:24.1  1 a.go:3] z"]
            .iter()
            .map(|l| {
                assert!(h.match_line(l, &mut sp));
                let (a, b) = sp.as_slice()[h.field_index("Level").unwrap()];
                levels.normalise(&l[a as usize..b as usize])
            })
            .collect();
        assert_eq!(got, [3, 5, 6], "info, error, critical");
    }

    #[test]
    fn servers_with_layouts_of_their_own() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "2024-01-01T00:00:00.123456Z 0 [Note] [MY-010116] [Server] starting\n2024-01-01T00:00:01.000001Z 1 [Warning] [MY-0] x\n",
                "MySQL",
                "2024-01-01T00:00:00.123456Z",
            ),
            (
                "2024-01-01 00:00:00.123 UTC [123] LOG:  statement: SELECT 1\n2024-01-01 00:00:01.5 UTC [124] ERROR:  boom\n",
                "PostgreSQL",
                "2024-01-01T00:00:00.123Z",
            ),
            (
                "I, [2024-01-01T00:00:00.123456 #1234]  INFO -- : Started GET\nE, [2024-01-01T00:00:01.000001 #1234] ERROR -- app: boom\n",
                "Ruby logger",
                "2024-01-01T00:00:00.123456Z",
            ),
            (
                "[2024-01-01T00:00:00,123][INFO ][o.e.n.Node] [n1] started\n[2024-01-01T00:00:01,500][WARN ][o.e.x] [n1] slow\n",
                "Elasticsearch",
                "2024-01-01T00:00:00.123Z",
            ),
            (
                "[2024-01-01 00:00:00,123] INFO started (kafka.server.KafkaServer)\n[2024-01-01 00:00:01,000] WARN slow (kafka.log)\n",
                "bracketed date time with a comma fraction, level (Kafka)",
                "2024-01-01T00:00:00.123Z",
            ),
            ("1:M 01 Jan 2024 00:00:00.123 * Ready to accept connections\n1:C 01 Jan 2024 00:00:01.000 # Warning\n", "Redis", "2024-01-01T00:00:00.123Z"),
            (
                "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328] [client 72.15.99.187] File does not exist\n[Wed Oct 11 14:32:53.000001 2000] [ssl:warn] [pid 1] x\n",
                "Apache 2.4 error log",
                "2000-10-11T14:32:52.123456Z",
            ),
            (
                "2024-01-01T00:00:00.123456789Z stdout F container started\n2024-01-01T00:00:01Z stderr F boom\n",
                "ISO 8601 time",
                "2024-01-01T00:00:00.123456789Z",
            ),
            (
                "2024-01-01T00:00:00.123+01:00  INFO 12345 --- [main] c.e.App : Started\n2024-01-01T00:00:01.000+01:00  WARN 12345 --- [main] c.e.App : slow\n",
                "ISO 8601 time, level",
                "2023-12-31T23:00:00.123Z",
            ),
            ("2024/01/01 00:00:00 [error] 123#0: *1 open() failed\n2024/01/01 00:00:01 [warn] 123#0: slow\n", "nginx error log", "2024-01-01T00:00:00Z"),
            (
                "#Software: IIS\n2024-01-01 00:00:00 10.0.0.1 GET /a 200\n2024-01-01 00:00:01 10.0.0.2 GET /b 404\n2024-01-01 00:00:02 10.0.0.3 GET /c 200\n2024-01-01 00:00:03 10.0.0.4 GET /d 200\n",
                "date time (ISO)",
                "",
            ),
        ];
        for (text, name, first) in cases {
            let d = detect(&lines(text), 2026).unwrap_or_else(|| panic!("nothing for {name}"));
            assert_eq!(&d.name, name, "{text}");
            if !first.is_empty() {
                assert_eq!(&stamps(text).1[0], first, "{name}");
            }
        }
    }

    #[test]
    fn csv_and_tsv_with_a_header_row() {
        let csv = "time,level,service,message\n2024-01-01T00:00:00Z,INFO,api,started\n2024-01-01T00:00:02.5Z,ERROR,db,query failed\n";
        let d = detect(&lines(csv), 2026).unwrap();
        assert_eq!(d.name, "CSV with a header row");
        assert_eq!(d.format, "<time>,<Level>,<service>,<Content>");
        assert_eq!(d.labels, [("level", "Level")]);
        let h = HeaderFormat::new(&d.format).unwrap();
        let (f, fmt, _) = d.timestamp.clone().unwrap();
        let ts = TimestampSpec::new(&f, h.fields(), &fmt, "UTC", None).unwrap();
        let mut sp = FieldSpans::default();
        let l = "2024-01-01T00:00:02.5Z,ERROR,db,query failed";
        assert!(h.match_line(l, &mut sp));
        let mut buf = String::new();
        ts.stamp_text(|i| sp.as_slice().get(i).map(|&(a, b)| &l[a as usize..b as usize]).unwrap_or(""), &mut buf);
        assert_eq!(crate::dataset::timestamp::rfc3339(ts.parse_text(&buf).unwrap()), "2024-01-01T00:00:02.500Z");
        let tsv = "date\thost\tevent\n2024-01-01 00:00:00\tweb1\tlogin ok\n2024-01-01 00:00:09\tweb2\tlogout\n";
        let d = detect(&lines(tsv), 2026).unwrap();
        assert_eq!((d.name.as_str(), d.format.as_str()), ("TSV with a header row", "<date>\t<host>\t<Content>"));
    }

    #[test]
    fn stack_traces_continue_their_record() {
        let text = "2024-01-01 12:00:00,123 ERROR [main] Service: boom\njava.lang.IllegalStateException: bad\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java:2)\n\tat a.B.e(B.java:3)\nCaused by: java.io.IOException: disk\n\t... 3 more\n2024-01-01 12:00:01,000 INFO [main] Service: recovered\n";
        let d = detect(&lines(text), 2026).expect("detected despite 6 of 8 lines being a trace");
        assert!(d.join, "{d:?}");
        assert_eq!(d.name, "date time with a comma fraction, level");
    }

    #[test]
    fn structured_lines_and_nothing_known() {
        let d = detect(
            &lines(
                "{\"time\":\"2024-01-01T00:00:00Z\",\"level\":\"info\",\"msg\":\"a\"}\n{\"time\":\"2024-01-01T00:00:01Z\",\"level\":\"warn\",\"msg\":\"b\"}",
            ),
            2026,
        )
        .unwrap();
        assert_eq!(d.format, "json");
        let d = detect(&lines("ts=2024-01-01T00:00:00Z level=info msg=a\nts=2024-01-01T00:00:01Z level=warn msg=\"b c\""), 2026).unwrap();
        assert_eq!(d.format, "logfmt");
        assert_eq!(detect(&lines("hello there\nno time here at all\n"), 2026), None);
        // A level field that holds no levels is not one.
        let d = detect(&lines("2024-01-01T00:00:00Z GET /a\n2024-01-01T00:00:01Z POST /b\n"), 2026).unwrap();
        assert_eq!(d.name, "ISO 8601 time");
    }
}
