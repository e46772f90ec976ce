//! The printer: `Display` for the syntax tree, in the canonical style of
//! Loki's own `String()` (`sum by (a)(count_over_time({app="x"} |= "y"[5m]))`),
//! with strings re-escaped and parentheses only where precedence needs them,
//! so that parsing the printed text gives back an equal tree.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::*;
use super::duration::{format_bytes, format_duration};
use super::strings::quote;

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(log) => log.fmt(f),
            Expr::Sample(sample) => sample.fmt(f),
        }
    }
}

impl Display for LogExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            m.fmt(f)?;
        }
        f.write_char('}')?;
        for stage in &self.pipeline {
            write!(f, " {stage}")?;
        }
        Ok(())
    }
}

impl Display for MatchOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchOp::Eq => "=",
            MatchOp::Neq => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        })
    }
}

impl Display for Matcher {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.name, self.op, quote(&self.value))
    }
}

impl Display for FilterOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FilterOp::Contains => "|=",
            FilterOp::NotContains => "!=",
            FilterOp::Regex => "|~",
            FilterOp::NotRegex => "!~",
            FilterOp::Pattern => "|>",
            FilterOp::NotPattern => "!>",
            FilterOp::Ip => "|=",
            FilterOp::NotIp => "!=",
        })
    }
}

impl Display for LineFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.op)?;
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            if matches!(self.op, FilterOp::Ip | FilterOp::NotIp) {
                write!(f, "ip({})", quote(v))?;
            } else {
                f.write_str(&quote(v))?;
            }
        }
        Ok(())
    }
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::LineFilter(lf) => lf.fmt(f),
            Stage::Parser(p) => p.fmt(f),
            Stage::LabelFilter(lf) => write!(f, "| {lf}"),
            Stage::LineFormat(t) => write!(f, "| line_format {}", quote(t)),
            Stage::LabelFormat(fmts) => {
                f.write_str("| label_format ")?;
                join(f, fmts, ",")
            }
            Stage::Drop(sels) => {
                f.write_str("| drop ")?;
                join(f, sels, ",")
            }
            Stage::Keep(sels) => {
                f.write_str("| keep ")?;
                join(f, sels, ",")
            }
            Stage::Decolorize => f.write_str("| decolorize"),
        }
    }
}

impl Display for ParserStage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ParserStage::Json(params) => {
                f.write_str("| json")?;
                params_suffix(f, params)
            }
            ParserStage::Logfmt {
                strict,
                keep_empty,
                params,
            } => {
                f.write_str("| logfmt")?;
                if *strict {
                    f.write_str(" --strict")?;
                }
                if *keep_empty {
                    f.write_str(" --keep-empty")?;
                }
                params_suffix(f, params)
            }
            ParserStage::Regexp(re) => write!(f, "| regexp {}", quote(re)),
            ParserStage::Pattern(p) => write!(f, "| pattern {}", quote(p)),
            ParserStage::Unpack => f.write_str("| unpack"),
        }
    }
}

/// ` a="b.c",d="d"` after `json`/`logfmt`, or nothing.
fn params_suffix(f: &mut Formatter<'_>, params: &[ExtractParam]) -> fmt::Result {
    if params.is_empty() {
        return Ok(());
    }
    f.write_char(' ')?;
    join(f, params, ",")
}

impl Display for ExtractParam {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.label, quote(&self.expr))
    }
}

impl Display for CmpOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "==",
            CmpOp::Neq => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        })
    }
}

impl Display for LabelFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LabelFilter::And(a, b) => write!(f, "( {a} , {b} )"),
            LabelFilter::Or(a, b) => write!(f, "( {a} or {b} )"),
            LabelFilter::String(m) => m.fmt(f),
            LabelFilter::Number { name, op, value } => write!(f, "{name}{op}{}", Num(*value)),
            LabelFilter::Duration { name, op, value } => {
                write!(f, "{name}{op}{}", format_duration(*value))
            }
            LabelFilter::Bytes { name, op, value } => {
                write!(f, "{name}{op}{}", format_bytes(*value))
            }
            LabelFilter::Ip { name, negated, pattern } => {
                write!(f, "{name}{}ip({})", if *negated { "!=" } else { "=" }, quote(pattern))
            }
        }
    }
}

impl Display for LabelFmt {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LabelFmt::Rename { dst, src } => write!(f, "{dst}={src}"),
            LabelFmt::Template { dst, template } => write!(f, "{dst}={}", quote(template)),
        }
    }
}

impl Display for LabelSel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some((op, value)) = &self.matcher {
            write!(f, "{op}{}", quote(value))?;
        }
        Ok(())
    }
}

impl Display for SampleExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SampleExpr::Range(r) => r.fmt(f),
            SampleExpr::Vector(v) => v.fmt(f),
            SampleExpr::BinOp(b) => b.fmt(f),
            SampleExpr::Literal(v) => Num(*v).fmt(f),
            SampleExpr::VectorLit(v) => write!(f, "vector({})", Num(*v)),
            SampleExpr::LabelReplace(l) => l.fmt(f),
        }
    }
}

impl Display for RangeAgg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.op.name())?;
        if let Some(p) = self.param {
            write!(f, "{},", Num(p))?;
        }
        write!(f, "{})", self.range)?;
        if let Some(g) = &self.grouping {
            g.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for LogRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.log.fmt(f)?;
        if let Some(u) = &self.unwrap {
            u.fmt(f)?;
        }
        write!(f, "[{}]", format_duration(self.range))?;
        if self.offset != 0 {
            write!(f, " offset {}", format_duration(self.offset))?;
        }
        Ok(())
    }
}

impl Display for Unwrap {
    /// ` | unwrap x | filter`, with its leading space.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.conv {
            UnwrapConv::Number => write!(f, " | unwrap {}", self.label)?,
            UnwrapConv::Duration => write!(f, " | unwrap duration({})", self.label)?,
            UnwrapConv::Bytes => write!(f, " | unwrap bytes({})", self.label)?,
        }
        for filter in &self.post_filters {
            write!(f, " | {filter}")?;
        }
        Ok(())
    }
}

impl Display for Grouping {
    /// ` by (a,b)`, with its leading space.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let word = if self.without { "without" } else { "by" };
        write!(f, " {word} ({})", self.labels.join(","))
    }
}

impl Display for VectorAgg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.name())?;
        if let Some(g) = &self.grouping {
            g.fmt(f)?;
        }
        f.write_char('(')?;
        if let Some(p) = self.param {
            write!(f, "{},", Num(p))?;
        }
        write!(f, "{})", self.inner)
    }
}

impl Display for BinOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let prec = self.op.precedence();
        let right_assoc = self.op == BinOpKind::Pow;
        let (lhs_min, rhs_min) = if right_assoc {
            (prec + 1, prec)
        } else {
            (prec, prec + 1)
        };
        operand(f, &self.lhs, lhs_min)?;
        write!(f, " {}", self.op.symbol())?;
        if self.return_bool {
            f.write_str(" bool")?;
        }
        if let Some(m) = &self.matching {
            m.fmt(f)?;
        }
        f.write_char(' ')?;
        operand(f, &self.rhs, rhs_min)
    }
}

/// An operand of a binary operator, in parentheses if it is a binary
/// operation binding less tightly than `min_prec`.
fn operand(f: &mut Formatter<'_>, e: &SampleExpr, min_prec: u8) -> fmt::Result {
    match e {
        SampleExpr::BinOp(b) if b.op.precedence() < min_prec => write!(f, "({e})"),
        _ => e.fmt(f),
    }
}

impl Display for VectorMatching {
    /// ` on (a) group_left (b)`, with its leading space.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let word = if self.on { "on" } else { "ignoring" };
        write!(f, " {word} ({})", self.labels.join(","))?;
        match &self.group {
            Some(GroupSide::Left(labels)) => group(f, "group_left", labels),
            Some(GroupSide::Right(labels)) => group(f, "group_right", labels),
            None => Ok(()),
        }
    }
}

/// ` group_left (a)`; the parentheses stay even when empty, or a
/// parenthesised right operand would be read as the label list.
fn group(f: &mut Formatter<'_>, word: &str, labels: &[String]) -> fmt::Result {
    write!(f, " {word} ({})", labels.join(","))
}

impl Display for LabelReplace {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "label_replace({},{},{},{},{})",
            self.inner,
            quote(&self.dst),
            quote(&self.replacement),
            quote(&self.src),
            quote(&self.regex)
        )
    }
}

/// A number as LogQL reads it back: shortest form, never an exponent, and
/// zero without a sign (Loki's lexer reads `-0` as a duration).
struct Num(f64);

impl Display for Num {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0 == 0.0 {
            f.write_char('0')
        } else {
            write!(f, "{}", self.0)
        }
    }
}

fn join<T: Display>(f: &mut Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        item.fmt(f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::logql::parse;

    /// Parses, prints, and checks the print and that it parses back equal.
    fn canon(src: &str) -> String {
        let e = parse(src).unwrap_or_else(|err| panic!("{src:?}: {err}"));
        let printed = e.to_string();
        let again = parse(&printed).unwrap_or_else(|err| panic!("{printed:?}: {err}"));
        assert_eq!(again, e, "{src:?} printed as {printed:?}");
        printed
    }

    #[test]
    fn loki_format_query_golden() {
        assert_eq!(
            canon(r#"sum by(component)(count_over_time({app="hdfs"}|="x"[5m]))"#),
            r#"sum by (component)(count_over_time({app="hdfs"} |= "x"[5m]))"#
        );
    }

    #[test]
    fn log_queries() {
        assert_eq!(canon(r#"{app="a",b!~"c"}"#), r#"{app="a", b!~"c"}"#);
        assert_eq!(
            canon(r#"{a="b"} |= "x" or "y" != "z" |~ `\d+` !~ "q" |> "<_> x" !> "y""#),
            r#"{a="b"} |= "x" or "y" != "z" |~ "\\d+" !~ "q" |> "<_> x" !> "y""#
        );
        assert_eq!(
            canon(r#"{a="b"} | json | logfmt --strict --keep-empty x, y="z" | json a="b.c",d"#),
            r#"{a="b"} | json | logfmt --strict --keep-empty x="x",y="z" | json a="b.c",d="d""#
        );
        assert_eq!(
            canon(r#"{a="b"} | regexp "(?P<x>\\d+)" | pattern "<x> <_>" | unpack | decolorize"#),
            r#"{a="b"} | regexp "(?P<x>\\d+)" | pattern "<x> <_>" | unpack | decolorize"#
        );
        assert_eq!(
            canon(
                r#"{a="b"} | line_format "{{.a}}\t" | label_format x=y, z="{{.w}}" | drop a, b="c" | keep d=~"e""#
            ),
            r#"{a="b"} | line_format "{{.a}}\t" | label_format x=y,z="{{.w}}" | drop a,b="c" | keep d=~"e""#
        );
    }

    #[test]
    fn label_filters_keep_their_shape() {
        assert_eq!(
            canon(r#"{a="b"} | status >= 400 or len < 300"#),
            r#"{a="b"} | ( status>=400 or len<300 )"#
        );
        assert_eq!(
            canon(r#"{a="b"} | x="1" y="2" or z="3", w > 1.5s and v <= 20KB"#),
            r#"{a="b"} | ( x="1" , ( y="2" or ( z="3" , ( w>1s500ms , v<=20KB ) ) ) )"#
        );
        assert_eq!(
            canon(r#"{a="b"} | __error__!="" | x == -2"#),
            r#"{a="b"} | __error__!="" | x==-2"#
        );
    }

    #[test]
    fn range_and_vector_aggregations() {
        assert_eq!(
            canon(
                r#"quantile_over_time(0.9, {app="x"} | regexp "t: (?P<t>\\d+)" | unwrap t | __error__="" [20m] offset 1h) by (app)"#
            ),
            r#"quantile_over_time(0.9,{app="x"} | regexp "t: (?P<t>\\d+)" | unwrap t | __error__=""[20m] offset 1h) by (app)"#
        );
        assert_eq!(
            canon(r#"sum_over_time({a="b"} | unwrap bytes(x) [5m])"#),
            r#"sum_over_time({a="b"} | unwrap bytes(x)[5m])"#
        );
        assert_eq!(
            canon(r#"count_over_time({a="b"}[5m] |= "x")"#),
            r#"count_over_time({a="b"} |= "x"[5m])"#
        );
        assert_eq!(
            canon(r#"topk(3, sum without (a, b) (rate({a="b"}[1h])))"#),
            r#"topk(3,sum without (a,b)(rate({a="b"}[1h])))"#
        );
        assert_eq!(
            canon(r#"sum(rate({a="b"}[1h])) by (c)"#),
            r#"sum by (c)(rate({a="b"}[1h]))"#
        );
        assert_eq!(
            canon(r#"sum by () (rate({a="b"}[1h]))"#),
            r#"sum(rate({a="b"}[1h]))"#
        );
    }

    #[test]
    fn binary_operators_get_parentheses_only_where_needed() {
        let r = r#"rate({a="b"}[1m])"#;
        assert_eq!(canon(&format!("{r} + {r} * 2")), format!("{r} + {r} * 2"));
        assert_eq!(
            canon(&format!("({r} + {r}) * 2")),
            format!("({r} + {r}) * 2")
        );
        assert_eq!(
            canon(&format!("{r} - ({r} - 1)")),
            format!("{r} - ({r} - 1)")
        );
        assert_eq!(canon("2 ^ 3 ^ 2"), "2 ^ 3 ^ 2");
        assert_eq!(canon("(2 ^ 3) ^ 2"), "(2 ^ 3) ^ 2");
        assert_eq!(canon("-2 ^ 2"), "-2 ^ 2");
        assert_eq!(canon("1 - -2"), "1 - -2");
        assert_eq!(
            canon(&format!(
                "{r} > bool on (a) group_left (b) {r} or vector(0)"
            )),
            format!("{r} > bool on (a) group_left (b) {r} or vector(0)")
        );
        assert_eq!(
            canon(&format!("{r} / ignoring () group_right {r}")),
            format!("{r} / ignoring () group_right () {r}")
        );
        assert_eq!(
            canon(&format!("{r} / on () group_left () (1 + {r})")),
            format!("{r} / on () group_left () (1 + {r})")
        );
    }

    #[test]
    fn label_replace_and_literals() {
        assert_eq!(
            canon(r#"label_replace(rate({a="b"}[1m]), "dst", "$1", "src", "(.*)")"#),
            r#"label_replace(rate({a="b"}[1m]),"dst","$1","src","(.*)")"#
        );
        assert_eq!(canon("1e3"), "1000");
        assert_eq!(canon("0.000001"), "0.000001");
    }

    #[test]
    fn strings_are_reescaped() {
        assert_eq!(
            canon("{a=\"q\\\"uote\\\\ \\n é\"}"),
            "{a=\"q\\\"uote\\\\ \\n é\"}"
        );
    }

    #[test]
    fn durations_print_back() {
        assert_eq!(
            canon(r#"rate({a="b"}[90m] offset -2h)"#),
            r#"rate({a="b"}[1h30m] offset -2h)"#
        );
        assert_eq!(canon(r#"{a="b"} | x > 1.5us"#), r#"{a="b"} | x>1us500ns"#);
    }
}
