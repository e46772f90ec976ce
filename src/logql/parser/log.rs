//! The log side of the grammar: stream selectors, pipeline stages (line
//! filters, parsers, label filters, formatters, drop/keep), `unwrap` and the
//! `{...} | ... [5m] offset 1h` of range aggregations.

use super::{PResult, Parser, validate};
use crate::logql::ast::*;
use crate::logql::duration::{parse_bytes, parse_duration, parse_prometheus_duration};
use crate::logql::lexer::TokenKind as T;

/// Binding powers of the label filter operators `(left, right)`. `or` and
/// `and` are left-associative with `and` binding tighter; `,` and a plain
/// space (juxtaposition) take everything after them, as the yacc grammar's
/// shift preference makes them do.
const OR_BP: (u8, u8) = (1, 1);
const AND_BP: (u8, u8) = (2, 2);
const COMMA_BP: (u8, u8) = (3, 0);

impl Parser<'_> {
    /// `{a="b", c=~"d"}`.
    pub(super) fn selector(&mut self) -> PResult<Vec<Matcher>> {
        let open = self.expect(T::LBrace, &[T::LBrace])?;
        let mut matchers = Vec::new();
        if self.peek() == Some(T::RBrace) {
            self.bump();
        } else {
            matchers.push(self.matcher(&[T::Ident, T::RBrace])?);
            loop {
                match self.peek() {
                    Some(T::Comma) => {
                        self.bump();
                        matchers.push(self.matcher(&[T::Ident])?);
                    }
                    Some(T::RBrace) => {
                        self.bump();
                        break;
                    }
                    _ => return Err(self.unexpected(&[T::RBrace, T::Comma])),
                }
            }
        }
        if self.empty_selector.is_none() && matchers.iter().all(validate::matches_empty) {
            self.empty_selector = Some(open);
        }
        Ok(matchers)
    }

    /// `name op "value"`; `expected` is what may come instead of the name.
    fn matcher(&mut self, expected: &[T]) -> PResult<Matcher> {
        let name = self.ident(expected)?;
        let op = match self.peek() {
            Some(T::Eq) => MatchOp::Eq,
            Some(T::Neq) => MatchOp::Neq,
            Some(T::Re) => MatchOp::Re,
            Some(T::Nre) => MatchOp::Nre,
            _ => return Err(self.unexpected(&[T::Eq, T::Neq, T::Re, T::Nre])),
        };
        self.bump();
        self.matcher_value(name, op)
    }

    /// The string after a matcher's operator; regexes must compile.
    fn matcher_value(&mut self, name: String, op: MatchOp) -> PResult<Matcher> {
        let at = self.pos;
        let value = self.string(&[T::String])?;
        if matches!(op, MatchOp::Re | MatchOp::Nre) {
            validate::compile_anchored(&value).map_err(|m| self.error_at(at, m))?;
        }
        Ok(Matcher { name, op, value })
    }

    /// A log query: a selector and its pipeline.
    pub(super) fn log_expr(&mut self) -> PResult<LogExpr> {
        let matchers = self.selector()?;
        let pipeline = self.pipeline(false)?;
        Ok(LogExpr { matchers, pipeline })
    }

    /// Pipeline stages up to the first token that cannot continue it. In a
    /// range (`in_range`), `| unwrap` ends the pipeline; elsewhere it is an
    /// error.
    pub(super) fn pipeline(&mut self, in_range: bool) -> PResult<Vec<Stage>> {
        let mut stages = Vec::new();
        loop {
            match self.peek() {
                Some(
                    kind @ (T::PipeExact
                    | T::PipeMatch
                    | T::PipePattern
                    | T::Neq
                    | T::Nre
                    | T::NotPattern),
                ) => {
                    stages.push(Stage::LineFilter(self.line_filter(kind)?));
                }
                Some(T::Pipe) => {
                    if self.peek_at(1) == Some(T::Unwrap) {
                        if in_range {
                            return Ok(stages);
                        }
                        self.bump();
                        return Err(self.unexpected(&[]));
                    }
                    self.bump();
                    stages.push(self.stage()?);
                }
                _ => return Ok(stages),
            }
        }
    }

    /// `|= "a"`, `!~ "b" or "c"`, `|= ip("10.0.0.0/8")`.
    fn line_filter(&mut self, kind: T) -> PResult<LineFilter> {
        let mut op = match kind {
            T::PipeExact => FilterOp::Contains,
            T::Neq => FilterOp::NotContains,
            T::PipeMatch => FilterOp::Regex,
            T::Nre => FilterOp::NotRegex,
            T::PipePattern => FilterOp::Pattern,
            _ => FilterOp::NotPattern,
        };
        self.bump();
        if self.peek() == Some(T::Ip) {
            op = match op {
                FilterOp::Contains => FilterOp::Ip,
                FilterOp::NotContains => FilterOp::NotIp,
                _ => return Err(self.error_at(self.pos, "syntax error: ip() goes only with |= and !=")),
            };
        }
        let mut values = vec![self.filter_value(op)?];
        while self.peek() == Some(T::Or) {
            self.bump();
            values.push(self.filter_value(op)?);
        }
        Ok(LineFilter { op, values })
    }

    fn filter_value(&mut self, op: FilterOp) -> PResult<String> {
        if matches!(op, FilterOp::Ip | FilterOp::NotIp) {
            return self.ip_call();
        }
        let at = self.pos;
        let value = self.string(&[T::String, T::Ip])?;
        if matches!(op, FilterOp::Regex | FilterOp::NotRegex) {
            validate::compile(&value).map_err(|m| self.error_at(at, m))?;
        }
        Ok(value)
    }

    /// `ip("…")`: the pattern text; whether it is an address, a CIDR or a
    /// range is checked when the query is compiled, as Loki does (a 400).
    fn ip_call(&mut self) -> PResult<String> {
        self.expect(T::Ip, &[T::Ip])?;
        self.expect(T::LParen, &[])?;
        let value = self.string(&[T::String])?;
        self.expect(T::RParen, &[])?;
        Ok(value)
    }

    /// One stage after a `|`.
    fn stage(&mut self) -> PResult<Stage> {
        match self.peek() {
            Some(T::Json) => {
                self.bump();
                let params = self.extract_params()?;
                Ok(Stage::Parser(ParserStage::Json(params)))
            }
            Some(T::Logfmt) => {
                self.bump();
                let (mut strict, mut keep_empty) = (false, false);
                while self.peek() == Some(T::ParserFlag) {
                    let i = self.bump();
                    match self.text(i) {
                        "--strict" => strict = true,
                        _ => keep_empty = true,
                    }
                }
                let params = self.extract_params()?;
                Ok(Stage::Parser(ParserStage::Logfmt {
                    strict,
                    keep_empty,
                    params,
                }))
            }
            Some(T::Regexp) => {
                self.bump();
                let at = self.pos;
                let re = self.string(&[T::String])?;
                validate::regexp_stage(&re).map_err(|m| self.error_at(at, m))?;
                Ok(Stage::Parser(ParserStage::Regexp(re)))
            }
            Some(T::Pattern) => {
                self.bump();
                let at = self.pos;
                let pattern = self.string(&[T::String])?;
                validate::pattern_stage(&pattern).map_err(|m| self.error_at(at, m))?;
                Ok(Stage::Parser(ParserStage::Pattern(pattern)))
            }
            Some(T::Unpack) => {
                self.bump();
                Ok(Stage::Parser(ParserStage::Unpack))
            }
            Some(T::Decolorize) => {
                self.bump();
                Ok(Stage::Decolorize)
            }
            Some(T::LineFormat) => {
                self.bump();
                Ok(Stage::LineFormat(self.string(&[T::String])?))
            }
            Some(T::LabelFormat) => {
                self.bump();
                Ok(Stage::LabelFormat(self.label_formats()?))
            }
            Some(T::Drop) => {
                self.bump();
                Ok(Stage::Drop(self.label_sels()?))
            }
            Some(T::Keep) => {
                self.bump();
                Ok(Stage::Keep(self.label_sels()?))
            }
            Some(T::Ident | T::LParen) => Ok(Stage::LabelFilter(self.label_filter(0)?)),
            _ => Err(self.unexpected(&[])),
        }
    }

    /// `a="b.c", d` after `json`/`logfmt` (possibly none).
    fn extract_params(&mut self) -> PResult<Vec<ExtractParam>> {
        let mut params = Vec::new();
        if self.peek() != Some(T::Ident) {
            return Ok(params);
        }
        loop {
            let label = self.ident(&[T::Ident])?;
            let expr = if self.peek() == Some(T::Eq) {
                self.bump();
                self.string(&[T::String])?
            } else {
                label.clone()
            };
            params.push(ExtractParam { label, expr });
            if self.peek() != Some(T::Comma) {
                return Ok(params);
            }
            self.bump();
        }
    }

    /// `a=b, c="{{.d}}"` after `label_format`.
    fn label_formats(&mut self) -> PResult<Vec<LabelFmt>> {
        let mut formats = Vec::new();
        loop {
            let dst = self.ident(&[T::Ident])?;
            self.expect(T::Eq, &[T::Eq])?;
            formats.push(match self.peek() {
                Some(T::Ident) => {
                    let i = self.bump();
                    LabelFmt::Rename {
                        dst,
                        src: self.text(i).to_string(),
                    }
                }
                Some(T::String) => LabelFmt::Template {
                    dst,
                    template: self.string(&[T::String])?,
                },
                _ => return Err(self.unexpected(&[T::Ident, T::String])),
            });
            if self.peek() != Some(T::Comma) {
                return Ok(formats);
            }
            self.bump();
        }
    }

    /// `a, b="v", c=~"w"` after `drop`/`keep`.
    fn label_sels(&mut self) -> PResult<Vec<LabelSel>> {
        let mut sels = Vec::new();
        loop {
            let name = self.ident(&[T::Ident])?;
            let op = match self.peek() {
                Some(T::Eq) => Some(MatchOp::Eq),
                Some(T::Neq) => Some(MatchOp::Neq),
                Some(T::Re) => Some(MatchOp::Re),
                Some(T::Nre) => Some(MatchOp::Nre),
                _ => None,
            };
            let matcher = match op {
                Some(op) => {
                    self.bump();
                    let m = self.matcher_value(name.clone(), op)?;
                    Some((m.op, m.value))
                }
                None => None,
            };
            sels.push(LabelSel { name, matcher });
            if self.peek() != Some(T::Comma) {
                return Ok(sels);
            }
            self.bump();
        }
    }

    /// A label filter expression whose operators bind tighter than `min_bp`.
    pub(super) fn label_filter(&mut self, min_bp: u8) -> PResult<LabelFilter> {
        self.enter()?;
        let mut lhs = self.label_filter_primary()?;
        let mut wraps = 0;
        loop {
            let (bp, consume) = match self.peek() {
                Some(T::Or) => (OR_BP, true),
                Some(T::And) => (AND_BP, true),
                Some(T::Comma) => (COMMA_BP, true),
                Some(T::Ident | T::LParen) => (COMMA_BP, false),
                _ => break,
            };
            if bp.0 <= min_bp {
                break;
            }
            let is_or = self.peek() == Some(T::Or);
            if consume {
                self.bump();
            }
            self.enter()?;
            wraps += 1;
            let rhs = self.label_filter(bp.1)?;
            lhs = if is_or {
                LabelFilter::Or(Box::new(lhs), Box::new(rhs))
            } else {
                LabelFilter::And(Box::new(lhs), Box::new(rhs))
            };
        }
        self.depth -= 1 + wraps;
        Ok(lhs)
    }

    fn label_filter_primary(&mut self) -> PResult<LabelFilter> {
        if self.peek() == Some(T::LParen) {
            self.bump();
            let inner = self.label_filter(0)?;
            self.expect(T::RParen, &[])?;
            return Ok(inner);
        }
        let name = self.ident(&[T::Ident, T::LParen])?;
        let cmp = match self.peek() {
            Some(T::Eq) => CmpOp::Eq,
            Some(T::Neq) => CmpOp::Neq,
            Some(T::CmpEq) => CmpOp::Eq,
            Some(T::Gt) => CmpOp::Gt,
            Some(T::Ge) => CmpOp::Ge,
            Some(T::Lt) => CmpOp::Lt,
            Some(T::Le) => CmpOp::Le,
            Some(op @ (T::Re | T::Nre)) => {
                self.bump();
                let op = if op == T::Re {
                    MatchOp::Re
                } else {
                    MatchOp::Nre
                };
                return Ok(LabelFilter::String(self.matcher_value(name, op)?));
            }
            _ => return Err(self.unexpected(&[])),
        };
        let op_tok = self.bump();
        let op_kind = self.toks.get(op_tok).map(|t| t.kind);
        match self.peek() {
            Some(T::String) if matches!(op_kind, Some(T::Eq | T::Neq)) => {
                let op = if op_kind == Some(T::Eq) {
                    MatchOp::Eq
                } else {
                    MatchOp::Neq
                };
                Ok(LabelFilter::String(self.matcher_value(name, op)?))
            }
            Some(T::Number | T::Add | T::Sub) => {
                let value = self.literal()?;
                Ok(LabelFilter::Number {
                    name,
                    op: cmp,
                    value,
                })
            }
            Some(T::Duration) => {
                let i = self.bump();
                let value = parse_duration(self.text(i))
                    .ok_or_else(|| self.error_at(i, "invalid duration"))?;
                Ok(LabelFilter::Duration {
                    name,
                    op: cmp,
                    value,
                })
            }
            Some(T::Bytes) => {
                let i = self.bump();
                let value =
                    parse_bytes(self.text(i)).ok_or_else(|| self.error_at(i, "invalid bytes"))?;
                Ok(LabelFilter::Bytes {
                    name,
                    op: cmp,
                    value,
                })
            }
            Some(T::Ip) if matches!(op_kind, Some(T::Eq | T::Neq)) => {
                let pattern = self.ip_call()?;
                Ok(LabelFilter::Ip { name, negated: op_kind == Some(T::Neq), pattern })
            }
            _ => Err(self.unexpected(&[])),
        }
    }

    /// The inside of a range aggregation's parentheses: a selector, pipeline
    /// and unwrap with a `[range]` and `offset`, in any order Loki accepts,
    /// possibly in parentheses.
    pub(super) fn log_range(&mut self) -> PResult<LogRange> {
        if self.peek() != Some(T::LParen) {
            let matchers = self.selector()?;
            let pipeline = self.pipeline(true)?;
            let unwrap = self.unwrap()?;
            return self.range_tail(LogExpr { matchers, pipeline }, unwrap);
        }
        self.enter()?;
        self.bump();
        let range = if self.peek() == Some(T::LParen) {
            // `( logRangeExpr )`
            let inner = self.log_range()?;
            self.expect(T::RParen, &[])?;
            inner
        } else {
            let matchers = self.selector()?;
            let pipeline = self.pipeline(true)?;
            let unwrap = self.unwrap()?;
            let log = LogExpr { matchers, pipeline };
            if self.peek() == Some(T::Range) {
                let inner = self.range_tail(log, unwrap)?;
                self.expect(T::RParen, &[])?;
                inner
            } else {
                // `( selector [pipeline] [unwrap] ) [range] [offset]`, and
                // an unwrap after the range only if nothing was inside.
                self.expect(T::RParen, &[])?;
                let bare = log.pipeline.is_empty() && unwrap.is_none();
                let range = self.range()?;
                let offset = self.offset_clause()?;
                let unwrap = if bare { self.unwrap()? } else { unwrap };
                LogRange {
                    log,
                    range,
                    offset,
                    unwrap,
                }
            }
        };
        self.depth -= 1;
        Ok(range)
    }

    /// `[range] [offset]`, then a pipeline and unwrap if none came before.
    fn range_tail(&mut self, mut log: LogExpr, mut unwrap: Option<Unwrap>) -> PResult<LogRange> {
        let range = self.range()?;
        let offset = self.offset_clause()?;
        if log.pipeline.is_empty() && unwrap.is_none() {
            log.pipeline = self.pipeline(true)?;
            unwrap = self.unwrap()?;
        }
        Ok(LogRange {
            log,
            range,
            offset,
            unwrap,
        })
    }

    /// `[5m]`: a Prometheus duration.
    fn range(&mut self) -> PResult<i64> {
        let i = self.expect(T::Range, &[])?;
        let text = self.text(i);
        let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
        if inner.is_empty() {
            return Err(self.error_at(i, "empty duration string"));
        }
        parse_prometheus_duration(inner)
            .ok_or_else(|| self.error_at(i, format!("not a valid duration string: {inner:?}")))
    }

    /// `offset 1h`, or 0.
    fn offset_clause(&mut self) -> PResult<i64> {
        if self.peek() != Some(T::Offset) {
            return Ok(0);
        }
        self.bump();
        let i = self.expect(T::Duration, &[T::Duration])?;
        parse_duration(self.text(i)).ok_or_else(|| self.error_at(i, "invalid duration"))
    }

    /// `| unwrap x`, `| unwrap bytes(x)`, and the `| filter`s after it.
    fn unwrap(&mut self) -> PResult<Option<Unwrap>> {
        if !(self.peek() == Some(T::Pipe) && self.peek_at(1) == Some(T::Unwrap)) {
            return Ok(None);
        }
        self.bump();
        self.bump();
        let conv_kinds = [
            T::Ident,
            T::BytesConv,
            T::DurationConv,
            T::DurationSecondsConv,
        ];
        let (label, conv) = match self.peek() {
            Some(T::Ident) => (self.ident(&[T::Ident])?, UnwrapConv::Number),
            Some(kind @ (T::BytesConv | T::DurationConv | T::DurationSecondsConv)) => {
                self.bump();
                self.expect(T::LParen, &[T::LParen])?;
                let label = self.ident(&[T::Ident])?;
                self.expect(T::RParen, &[T::RParen])?;
                let conv = if kind == T::BytesConv {
                    UnwrapConv::Bytes
                } else {
                    UnwrapConv::Duration
                };
                (label, conv)
            }
            _ => return Err(self.unexpected(&conv_kinds)),
        };
        let mut post_filters = Vec::new();
        while self.peek() == Some(T::Pipe) {
            self.bump();
            post_filters.push(self.label_filter(0)?);
        }
        Ok(Some(Unwrap {
            label,
            conv,
            post_filters,
        }))
    }
}
