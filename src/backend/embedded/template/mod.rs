//! Go text/template as `line_format` and `label_format` use it: the data is
//! the line's label map (a missing key is "", as with `missingkey=zero`),
//! with Loki's and sprig's functions. Execution errors become
//! `TemplateFormatErr` in the pipeline.

mod convert;
mod funcs;
mod gotime;
mod parse;
pub mod printf;
mod value;

use parse::{Arg, Command, Node, Pipeline};
pub use value::Value;

use funcs::LineCtx;

/// A compiled template.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<Node>,
    /// The fields it reads (`.a` -> "a").
    fields: Vec<String>,
    /// Plain text without actions: rendering is a copy.
    literal: Option<String>,
}

/// What a template reads: label values by name, and all labels for `.`.
pub trait Data {
    fn get(&self, name: &str) -> Option<&str>;
    fn all(&self) -> Vec<(String, String)>;
}

/// Limit on a rendered template (a line or a label value), against runaway
/// `repeat`/`indent`.
const MAX_OUTPUT: usize = 1 << 20;

impl Template {
    pub fn new(src: &str) -> Result<Self, String> {
        let nodes = parse::parse(src)?;
        let mut fields = Vec::new();
        parse::fields(&nodes, &mut fields);
        fields.sort();
        fields.dedup();
        let literal = match nodes.as_slice() {
            [] => Some(String::new()),
            [Node::Text(t)] => Some(t.clone()),
            _ => None,
        };
        Ok(Self { nodes, fields, literal })
    }

    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// Renders into `out`.
    pub fn render(&self, data: &dyn Data, line: &str, ts: i64, out: &mut String) -> Result<(), String> {
        out.clear();
        if let Some(l) = &self.literal {
            out.push_str(l);
            return Ok(());
        }
        let mut ex = Exec { data, ctx: LineCtx { line, ts }, vars: Vec::new(), dot: Vec::new() };
        ex.nodes(&self.nodes, out)
    }
}

struct Exec<'a> {
    data: &'a dyn Data,
    ctx: LineCtx<'a>,
    vars: Vec<(String, Value)>,
    /// `.` rebound by `with` (empty: the label map).
    dot: Vec<Value>,
}

impl Exec<'_> {
    fn nodes(&mut self, nodes: &[Node], out: &mut String) -> Result<(), String> {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Action(p) => {
                    let v = self.pipeline(p)?;
                    if p.decl.is_none() {
                        out.push_str(&v.print());
                    }
                }
                Node::If { cond, then, els } => {
                    let mark = self.vars.len();
                    let v = self.pipeline(cond)?;
                    let r = if v.truthy() { self.nodes(then, out) } else { self.nodes(els, out) };
                    self.vars.truncate(mark);
                    r?;
                }
                Node::With { cond, then, els } => {
                    let mark = self.vars.len();
                    let v = self.pipeline(cond)?;
                    let r = if v.truthy() {
                        self.dot.push(v);
                        let r = self.nodes(then, out);
                        self.dot.pop();
                        r
                    } else {
                        self.nodes(els, out)
                    };
                    self.vars.truncate(mark);
                    r?;
                }
                Node::Range { cond, els, .. } => {
                    let v = self.pipeline(cond)?;
                    match v {
                        Value::Nil => self.nodes(els, out)?,
                        other => return Err(format!("range can't iterate over {}", other.print())),
                    }
                }
            }
            if out.len() > MAX_OUTPUT {
                return Err("template output too large".into());
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, p: &Pipeline) -> Result<Value, String> {
        let mut prev: Option<Value> = None;
        for c in &p.cmds {
            prev = Some(self.command(c, prev)?);
        }
        let v = prev.unwrap_or(Value::Nil);
        if let Some(name) = &p.decl {
            if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                slot.1 = v.clone();
            } else {
                self.vars.push((name.clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn command(&mut self, c: &Command, piped: Option<Value>) -> Result<Value, String> {
        let Some(first) = c.args.first() else { return Err("empty command".into()) };
        if let Arg::Func(name) = first {
            // and/or short-circuit on their operands.
            if name == "and" || name == "or" {
                let mut last = Value::Nil;
                let n = c.args.len() - 1 + usize::from(piped.is_some());
                if n == 0 {
                    return Err(format!("wrong number of args for {name}: want at least 1 got 0"));
                }
                for a in &c.args[1..] {
                    last = self.arg(a)?;
                    if last.truthy() != (name == "and") {
                        return Ok(last);
                    }
                }
                if let Some(p) = piped {
                    last = p;
                }
                return Ok(last);
            }
            let mut args = Vec::with_capacity(c.args.len());
            for a in &c.args[1..] {
                args.push(self.arg(a)?);
            }
            if let Some(p) = piped {
                args.push(p);
            }
            return funcs::call(name, &args, &self.ctx);
        }
        if c.args.len() > 1 || piped.is_some() {
            return Err(format!("can't give argument to non-function {}", describe(first)));
        }
        self.arg(first)
    }

    fn arg(&mut self, a: &Arg) -> Result<Value, String> {
        match a {
            Arg::Field(chain) => self.field(chain),
            Arg::Var(name, chain) => {
                if name == "$" {
                    return self.field(chain);
                }
                let v = self.vars.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());
                let v = v.ok_or_else(|| format!("undefined variable: {name}"))?;
                if let Some(f) = chain.first() {
                    return Err(format!("can't evaluate field {f} in type {}", v.type_name()));
                }
                Ok(v)
            }
            Arg::Str(s) => Ok(Value::Str(s.clone())),
            Arg::Int(i) => Ok(Value::Int(*i)),
            Arg::Float(f) => Ok(Value::Float(*f)),
            Arg::Bool(b) => Ok(Value::Bool(*b)),
            Arg::Nil => Err("nil is not a command".into()),
            Arg::Func(name) => funcs::call(name, &[], &self.ctx),
            Arg::Sub(p) => self.pipeline(p),
        }
    }

    fn field(&self, chain: &[String]) -> Result<Value, String> {
        if let Some(d) = self.dot.last() {
            return match chain.first() {
                None => Ok(d.clone()),
                Some(f) => Err(format!("can't evaluate field {f} in type {}", d.type_name())),
            };
        }
        match chain {
            [] => Ok(Value::Map(self.data.all())),
            [name] => Ok(Value::Str(self.data.get(name).unwrap_or("").to_string())),
            [_, second, ..] => Err(format!("can't evaluate field {second} in type string")),
        }
    }
}

fn describe(a: &Arg) -> String {
    match a {
        Arg::Field(c) => format!(".{}", c.join(".")),
        Arg::Var(v, _) => v.clone(),
        Arg::Str(s) => format!("{s:?}"),
        Arg::Int(i) => i.to_string(),
        Arg::Float(f) => f.to_string(),
        Arg::Bool(b) => b.to_string(),
        Arg::Nil => "nil".into(),
        Arg::Func(f) => f.clone(),
        Arg::Sub(_) => "(pipeline)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct M(Vec<(String, String)>);
    impl Data for M {
        fn get(&self, name: &str) -> Option<&str> {
            self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
        }
        fn all(&self) -> Vec<(String, String)> {
            self.0.clone()
        }
    }

    fn render(src: &str) -> Result<String, String> {
        let t = Template::new(src)?;
        let m = M(vec![("pid".into(), "25539".into()), ("msg".into(), "hello".into()), ("n".into(), "7".into())]);
        let mut out = String::new();
        t.render(&m, "raw line", 1_226_398_396_000_000_000, &mut out)?;
        Ok(out)
    }

    #[test]
    fn basics() {
        assert_eq!(render("{{.pid}} {{.msg}}").unwrap(), "25539 hello");
        assert_eq!(render("{{ .msg | ToUpper }}").unwrap(), "HELLO");
        assert_eq!(render("[{{.missing}}]").unwrap(), "[]");
        assert_eq!(render("{{ .missing | default \"none\" }}").unwrap(), "none");
        assert_eq!(render(r#"{{ printf "%-6s|%5.1f" .msg 3.14159 }}"#).unwrap(), "hello |  3.1");
        assert_eq!(render("{{ __line__ }}").unwrap(), "raw line");
        assert_eq!(render("{{ __timestamp__ | unixEpoch }}").unwrap(), "1226398396");
        assert_eq!(render("{{ add .n 1 }}").unwrap(), "8");
        assert_eq!(render("a {{- \" b \" -}} c").unwrap(), "a b c");
        assert_eq!(render("{{/* note */}}x").unwrap(), "x");
        assert_eq!(render("{{ trunc 3 .msg }}").unwrap(), "hel");
        assert_eq!(render(r#"{{ .msg | replace "l" "L" }}"#).unwrap(), "heLLo");
    }

    #[test]
    fn control_flow() {
        assert_eq!(render(r#"{{ if eq .msg "hello" }}yes{{ else }}no{{ end }}"#).unwrap(), "yes");
        assert_eq!(render(r#"{{ if .missing }}a{{ else if .pid }}b{{ else }}c{{ end }}"#).unwrap(), "b");
        assert_eq!(render(r#"{{ $x := .pid }}{{ $x }}-{{ with .msg }}{{ . }}{{ end }}"#).unwrap(), "25539-hello");
        assert_eq!(render("{{ if and .pid .msg }}both{{ end }}").unwrap(), "both");
        assert_eq!(render("{{ . }}").unwrap(), "map[msg:hello n:7 pid:25539]");
    }

    #[test]
    fn errors() {
        assert!(Template::new("{{ nosuchfunc .a }}").unwrap_err().contains("not defined"));
        assert!(Template::new("{{ .a ").is_err());
        assert!(Template::new("{{ if .a }}x").is_err());
        assert!(render("{{ ToUpper 3 }}").unwrap_err().contains("wrong type"));
        assert!(render("{{ .msg.x }}").unwrap_err().contains("can't evaluate field"));
        assert!(render(r#"{{ repeat 100000000 "x" }}"#).is_err());
    }
}
