//! Parsing Go text/template source into a tree: text, `{{ pipelines }}`,
//! `if`/`else if`/`else`/`with`/`range`/`end`, trim markers `{{- -}}`,
//! comments, variables, string/number/char literals and parenthesised
//! pipelines.

use super::funcs::is_function;

#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Action(Pipeline),
    If { cond: Pipeline, then: Vec<Node>, els: Vec<Node> },
    With { cond: Pipeline, then: Vec<Node>, els: Vec<Node> },
    Range { cond: Pipeline, body: Vec<Node>, els: Vec<Node> },
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    /// `$x :=` / `$x =`.
    pub decl: Option<String>,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub struct Command {
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    /// `.a.b` (empty: `.` itself).
    Field(Vec<String>),
    /// `$x.a` (`$` is the root).
    Var(String, Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    /// A function name.
    Func(String),
    Sub(Box<Pipeline>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
}

/// Parses a whole template.
pub fn parse(src: &str) -> Result<Vec<Node>, String> {
    let items = split(src)?;
    let mut pos = 0;
    let (nodes, end) = parse_list(&items, &mut pos)?;
    match end {
        None => Ok(nodes),
        Some(k) => Err(format!("template: line:1: unexpected {{{{{k}}}}}")),
    }
}

/// A piece of the source: text, or the tokens of one action.
enum Item {
    Text(String),
    Action(Vec<Tok>),
}

fn split(src: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    while !rest.is_empty() {
        let Some(open) = rest.find("{{") else {
            let t = if trim_next { rest.trim_start() } else { rest };
            items.push(Item::Text(t.to_string()));
            break;
        };
        let mut text = &rest[..open];
        if trim_next {
            text = text.trim_start();
        }
        let mut inner = &rest[open + 2..];
        if inner.starts_with('-') && inner[1..].starts_with([' ', '\t', '\r', '\n']) {
            text = text.trim_end();
            inner = &inner[1..];
        }
        if !text.is_empty() {
            items.push(Item::Text(text.to_string()));
        }
        let (toks, consumed, trim) = lex_action(inner)?;
        trim_next = trim;
        if let Some(t) = toks {
            items.push(Item::Action(t));
        }
        rest = &inner[consumed..];
    }
    Ok(items)
}

/// Lexes one action up to and including `}}`. Returns the tokens (None for a
/// comment), the bytes consumed and whether a `-}}` trim marker closed it.
fn lex_action(s: &str) -> Result<(Option<Vec<Tok>>, usize, bool), String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut toks = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\r' | b'\n') {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if s[i..].starts_with("/*") {
        let end = s[i..].find("*/").ok_or("template: unclosed comment")? + i + 2;
        let mut j = end;
        skip_ws(&mut j);
        if s[j..].starts_with("-}}") {
            return Ok((None, j + 3, true));
        }
        if s[j..].starts_with("}}") {
            return Ok((None, j + 2, false));
        }
        return Err("template: comment ends before closing delimiter".into());
    }
    loop {
        let ws_before = i > 0 && matches!(b[i - 1], b' ' | b'\t' | b'\r' | b'\n');
        skip_ws(&mut i);
        if i >= b.len() {
            return Err("template: unclosed action".into());
        }
        let ws = ws_before || (i > 0 && matches!(b[i - 1], b' ' | b'\t' | b'\r' | b'\n'));
        if s[i..].starts_with("-}}") && ws {
            return Ok((Some(toks), i + 3, true));
        }
        if s[i..].starts_with("}}") {
            return Ok((Some(toks), i + 2, false));
        }
        let c = b[i];
        match c {
            b'(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                toks.push(Tok::RParen);
                i += 1;
            }
            b'|' => {
                toks.push(Tok::Pipe);
                i += 1;
            }
            b',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                toks.push(Tok::Declare);
                i += 2;
            }
            b'=' => {
                toks.push(Tok::Assign);
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                let mut val = String::new();
                loop {
                    let Some(&ch) = b.get(j) else { return Err("template: unterminated quoted string".into()) };
                    if ch == b'"' {
                        break;
                    }
                    if ch == b'\\' {
                        let (c, n) = unescape_go(&s[j..]).ok_or("template: invalid syntax in string")?;
                        val.push(c);
                        j += n;
                    } else {
                        let chr = s[j..].chars().next().unwrap_or('\u{FFFD}');
                        val.push(chr);
                        j += chr.len_utf8();
                    }
                }
                toks.push(Tok::Str(val));
                i = j + 1;
            }
            b'`' => {
                let end = s[i + 1..].find('`').ok_or("template: unterminated raw quoted string")? + i + 1;
                toks.push(Tok::Str(s[i + 1..end].to_string()));
                i = end + 1;
            }
            b'\'' => {
                let rest = &s[i + 1..];
                let (ch, n) = if rest.starts_with('\\') {
                    unescape_go(rest).ok_or("template: invalid char constant")?
                } else {
                    let ch = rest.chars().next().ok_or("template: unterminated character constant")?;
                    (ch, ch.len_utf8())
                };
                if !rest[n..].starts_with('\'') {
                    return Err("template: unterminated character constant".into());
                }
                toks.push(Tok::Int(i64::from(ch as u32)));
                i += n + 2;
            }
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let (chain, n) = field_chain(&s[i..]);
                toks.push(Tok::Field(chain));
                i += n;
            }
            b'$' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let name = s[i..j].to_string();
                let (chain, n) = if b.get(j) == Some(&b'.') { field_chain(&s[j..]) } else { (Vec::new(), 0) };
                toks.push(Tok::Var(name, chain));
                i = j + n;
            }
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'.' | b'_') || (matches!(b[j], b'+' | b'-') && matches!(b[j - 1], b'e' | b'E' | b'p' | b'P'))) {
                    j += 1;
                }
                toks.push(number(&s[i..j])?);
                i = j;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                toks.push(Tok::Ident(s[i..j].to_string()));
                i = j;
            }
            _ => return Err(format!("template: unexpected {:?} in command", s[i..].chars().next().unwrap_or(' '))),
        }
    }
}

fn field_chain(s: &str) -> (Vec<String>, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() && b[i] == b'.' {
        let mut j = i + 1;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
            j += 1;
        }
        if j == i + 1 {
            i = j;
            break;
        }
        out.push(s[i + 1..j].to_string());
        i = j;
    }
    (out, i)
}

fn number(t: &str) -> Result<Tok, String> {
    let clean = t.replace('_', "");
    let (neg, body) = match clean.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean).to_string()),
    };
    let int = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = body.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(bn) = body.strip_prefix("0b") {
        i64::from_str_radix(bn, 2).ok()
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|c| c.is_ascii_digit()) {
        i64::from_str_radix(&body[1..], 8).ok()
    } else {
        body.parse::<i64>().ok()
    };
    if let Some(v) = int {
        return Ok(Tok::Int(if neg { -v } else { v }));
    }
    match body.parse::<f64>() {
        Ok(f) => Ok(Tok::Float(if neg { -f } else { f })),
        Err(_) => Err(format!("template: bad number syntax: {t:?}")),
    }
}

/// One Go escape at the start of `s` (which begins with a backslash).
fn unescape_go(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    let c = *b.get(1)?;
    let simple = match c {
        b'n' => Some('\n'),
        b't' => Some('\t'),
        b'r' => Some('\r'),
        b'a' => Some('\u{7}'),
        b'b' => Some('\u{8}'),
        b'f' => Some('\u{c}'),
        b'v' => Some('\u{b}'),
        b'\\' => Some('\\'),
        b'"' => Some('"'),
        b'\'' => Some('\''),
        _ => None,
    };
    if let Some(ch) = simple {
        return Some((ch, 2));
    }
    let hex = |n: usize| -> Option<(char, usize)> {
        let v = u32::from_str_radix(s.get(2..2 + n)?, 16).ok()?;
        Some((char::from_u32(v)?, 2 + n))
    };
    match c {
        b'x' => hex(2),
        b'u' => hex(4),
        b'U' => hex(8),
        b'0'..=b'7' => {
            let v = u32::from_str_radix(s.get(1..4)?, 8).ok()?;
            Some((char::from_u32(v)?, 4))
        }
        _ => None,
    }
}

/// Parses items into nodes until `{{end}}` / `{{else}}` (returned as the
/// terminator with its remaining tokens' keyword).
fn parse_list(items: &[Item], pos: &mut usize) -> Result<(Vec<Node>, Option<String>), String> {
    let mut nodes = Vec::new();
    while *pos < items.len() {
        let item = &items[*pos];
        *pos += 1;
        match item {
            Item::Text(t) => nodes.push(Node::Text(t.clone())),
            Item::Action(toks) => match toks.first() {
                Some(Tok::Ident(k)) if k == "end" => return Ok((nodes, Some("end".into()))),
                Some(Tok::Ident(k)) if k == "else" => {
                    // Put back the tokens after `else` for the caller.
                    let rest: Vec<String> = if toks.len() > 1 { vec!["else-with".into()] } else { vec![] };
                    *pos -= 1;
                    return Ok((nodes, Some(if rest.is_empty() { "else".into() } else { "else-with".into() })));
                }
                Some(Tok::Ident(k)) if k == "if" || k == "with" || k == "range" => {
                    let cond = parse_pipeline(&toks[1..])?;
                    let node = parse_branch(k, cond, items, pos)?;
                    nodes.push(node);
                }
                Some(Tok::Ident(k)) if matches!(k.as_str(), "define" | "template" | "block" | "break" | "continue") => {
                    return Err(format!("template: {{{{{k}}}}} is not supported"));
                }
                _ => nodes.push(Node::Action(parse_pipeline(toks)?)),
            },
        }
    }
    Ok((nodes, None))
}

fn parse_branch(kind: &str, cond: Pipeline, items: &[Item], pos: &mut usize) -> Result<Node, String> {
    let (then, end) = parse_list(items, pos)?;
    let els = match end.as_deref() {
        Some("end") => Vec::new(),
        Some("else") => {
            *pos += 1;
            let (els, end) = parse_list(items, pos)?;
            if end.as_deref() != Some("end") {
                return Err("template: expected end; found EOF".into());
            }
            els
        }
        Some("else-with") => {
            // `{{else if ...}}` / `{{else with ...}}`: a nested branch that
            // shares our `{{end}}`.
            let Item::Action(toks) = &items[*pos] else { return Err("template: bad else".into()) };
            *pos += 1;
            let Some(Tok::Ident(k2)) = toks.get(1) else { return Err("template: unexpected tokens after else".into()) };
            if k2 != "if" && k2 != "with" {
                return Err(format!("template: unexpected {k2:?} after else"));
            }
            let cond2 = parse_pipeline(&toks[2..])?;
            vec![parse_branch(k2, cond2, items, pos)?]
        }
        _ => return Err("template: unexpected EOF".into()),
    };
    Ok(match kind {
        "if" => Node::If { cond, then, els },
        "with" => Node::With { cond, then, els },
        _ => Node::Range { cond, body: then, els },
    })
}

fn parse_pipeline(toks: &[Tok]) -> Result<Pipeline, String> {
    if toks.is_empty() {
        return Err("template: missing value for command".into());
    }
    let mut decl = None;
    let mut rest = toks;
    if let [Tok::Var(v, chain), op, tail @ ..] = toks {
        if chain.is_empty() && matches!(op, Tok::Declare | Tok::Assign) {
            decl = Some(v.clone());
            rest = tail;
        }
    }
    let mut cmds = Vec::new();
    let mut i = 0;
    loop {
        let (cmd, n) = parse_command(&rest[i..])?;
        cmds.push(cmd);
        i += n;
        match rest.get(i) {
            None => break,
            Some(Tok::Pipe) => i += 1,
            Some(t) => return Err(format!("template: unexpected {t:?} in operand")),
        }
    }
    Ok(Pipeline { decl, cmds })
}

fn parse_command(toks: &[Tok]) -> Result<(Command, usize), String> {
    let mut args = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let arg = match &toks[i] {
            Tok::Pipe | Tok::RParen => break,
            Tok::Field(c) => Arg::Field(c.clone()),
            Tok::Var(v, c) => Arg::Var(v.clone(), c.clone()),
            Tok::Str(s) => Arg::Str(s.clone()),
            Tok::Int(n) => Arg::Int(*n),
            Tok::Float(f) => Arg::Float(*f),
            Tok::Ident(id) => match id.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                f if is_function(f) => Arg::Func(f.to_string()),
                f => return Err(format!("template: function {f:?} not defined")),
            },
            Tok::LParen => {
                // Find the matching paren.
                let mut depth = 0;
                let mut j = i;
                loop {
                    match toks.get(j) {
                        Some(Tok::LParen) => depth += 1,
                        Some(Tok::RParen) => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Some(_) => {}
                        None => return Err("template: unclosed left paren".into()),
                    }
                    j += 1;
                }
                let sub = parse_pipeline(&toks[i + 1..j])?;
                i = j;
                Arg::Sub(Box::new(sub))
            }
            t => return Err(format!("template: unexpected {t:?} in command")),
        };
        args.push(arg);
        i += 1;
    }
    if args.is_empty() {
        return Err("template: missing value for command".into());
    }
    Ok((Command { args }, i))
}

/// Field names a template reads (Loki's `RequiredLabelNames`).
pub fn fields(nodes: &[Node], out: &mut Vec<String>) {
    fn pipe(p: &Pipeline, out: &mut Vec<String>) {
        for c in &p.cmds {
            for a in &c.args {
                match a {
                    Arg::Field(ch) => out.extend(ch.iter().cloned()),
                    Arg::Sub(s) => pipe(s, out),
                    _ => {}
                }
            }
        }
    }
    for n in nodes {
        match n {
            Node::Text(_) => {}
            Node::Action(p) => pipe(p, out),
            Node::If { cond, then, els } | Node::With { cond, then, els } | Node::Range { cond, body: then, els } => {
                pipe(cond, out);
                fields(then, out);
                fields(els, out);
            }
        }
    }
}
