//! The LogQL parser: a recursive-descent parser over [`tokenize`]'s tokens
//! that accepts what Loki 3's yacc grammar accepts, builds the [`ast`], and
//! reports errors in Loki's words (`syntax error: unexpected X, expecting Y`)
//! at the offending token. Expressions and binary operators (this file),
//! aggregations and functions ([`aggregate`]), the log side ([`log`]:
//! selectors, pipelines, label filters, ranges) and the checks Loki makes at
//! parse time ([`validate`]) are separate files.
//!
//! [`ast`]: super::ast

mod aggregate;
mod log;
mod names;
mod validate;

#[cfg(test)]
mod tests;

use super::ast::*;
use super::error::ParseError;
use super::lexer::{Token, TokenKind, tokenize};
use super::strings;

use names::{expecting, token_name};

/// How deep expressions may nest (parentheses, aggregations, binary and
/// label-filter operators) before the parser gives up with an error instead
/// of risking the stack.
pub const MAX_DEPTH: usize = 256;

/// Parses a whole LogQL query.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = Parser::new(src);
    let node = p.expr(0)?;
    if p.peek().is_some() {
        return Err(p.unexpected(&[]));
    }
    p.check_selectors()?;
    Ok(match node {
        Node::Log(log) => Expr::Log(log),
        Node::Sample(sample) => Expr::Sample(sample),
    })
}

/// Parses a stream selector alone (`{app="x", level=~"W.*"}`), as Loki's
/// `series` API does for `match[]`: no pipeline, and at least one matcher
/// that does not match the empty string.
pub fn parse_selector(src: &str) -> Result<Vec<Matcher>, ParseError> {
    match parse(src)? {
        Expr::Log(LogExpr { matchers, pipeline }) if pipeline.is_empty() => Ok(matchers),
        _ => Err(ParseError::at(src, 0, "only label matchers is supported")),
    }
}

/// What an expression turned out to be; binary operators and aggregations
/// need samples, the top level takes either.
enum Node {
    Log(LogExpr),
    Sample(SampleExpr),
}

struct Parser<'a> {
    src: &'a str,
    /// The tokens without comments.
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    /// The `{` of the first selector with no matcher that rejects the empty
    /// string; Loki reports it only once the whole query has parsed.
    empty_selector: Option<usize>,
}

type PResult<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        let toks = tokenize(src)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Comment)
            .collect();
        Parser {
            src,
            toks,
            pos: 0,
            depth: 0,
            empty_selector: None,
        }
    }

    // ---- token access -------------------------------------------------

    fn peek(&self) -> Option<TokenKind> {
        self.toks.get(self.pos).map(|t| t.kind)
    }

    fn peek_at(&self, ahead: usize) -> Option<TokenKind> {
        self.toks.get(self.pos + ahead).map(|t| t.kind)
    }

    /// Consumes the current token and returns its index.
    fn bump(&mut self) -> usize {
        let i = self.pos;
        self.pos += 1;
        i
    }

    fn text(&self, idx: usize) -> &'a str {
        let src = self.src;
        self.toks
            .get(idx)
            .and_then(|t| src.get(t.span.clone()))
            .unwrap_or("")
    }

    /// Byte offset of token `idx`, or the end of the query past the last.
    fn offset(&self, idx: usize) -> usize {
        self.toks.get(idx).map_or(self.src.len(), |t| t.span.start)
    }

    fn error_at(&self, idx: usize, message: impl Into<String>) -> ParseError {
        ParseError::at(self.src, self.offset(idx), message)
    }

    /// The error for the current token, in goyacc's words: `syntax error:
    /// unexpected X, expecting A or B` (the list only when it is short).
    fn unexpected(&self, expected: &[TokenKind]) -> ParseError {
        let Some(tok) = self.toks.get(self.pos) else {
            return self.error_at(
                self.pos,
                format!("syntax error: unexpected $end{}", expecting(expected)),
            );
        };
        let text = self.text(self.pos);
        match tok.kind {
            TokenKind::Error => {
                let message = if text.starts_with('"') || text.starts_with('`') {
                    "literal not terminated".to_string()
                } else if text.starts_with('[') {
                    "missing closing ']' in duration".to_string()
                } else {
                    format!("syntax error: unexpected character {text:?}")
                };
                self.error_at(self.pos, message)
            }
            // Loki's lexer unquotes strings as it reads them: a bad escape
            // is reported before the parser looks at the token.
            TokenKind::String if strings::unquote(text).is_err() => {
                let message = strings::unquote(text).err().unwrap_or_default();
                self.error_at(self.pos, message)
            }
            kind => self.error_at(
                self.pos,
                format!(
                    "syntax error: unexpected {}{}",
                    token_name(kind),
                    expecting(expected)
                ),
            ),
        }
    }

    /// Consumes a token of `kind` or fails with `expected` as the list.
    fn expect(&mut self, kind: TokenKind, expected: &[TokenKind]) -> PResult<usize> {
        if self.peek() == Some(kind) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn ident(&mut self, expected: &[TokenKind]) -> PResult<String> {
        let i = self.expect(TokenKind::Ident, expected)?;
        Ok(self.text(i).to_string())
    }

    fn string(&mut self, expected: &[TokenKind]) -> PResult<String> {
        let i = self.expect(TokenKind::String, expected)?;
        strings::unquote(self.text(i)).map_err(|m| self.error_at(i, m))
    }

    /// Enters one level of nesting; fails past [`MAX_DEPTH`]. The caller
    /// leaves with `self.depth -= 1` on success (an error ends the parse).
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                self.pos,
                format!("syntax error: expression nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    // ---- sample expressions --------------------------------------------

    /// An expression whose binary operators bind at least as tightly as
    /// `min_prec` (precedence climbing; `^` is right-associative).
    fn expr(&mut self, min_prec: u8) -> PResult<Node> {
        self.enter()?;
        let mut lhs = self.unary()?;
        let mut wraps = 0;
        while let Some(op) = self.peek().and_then(binop_kind) {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            let op_idx = self.bump();
            let (return_bool, matching) = self.binop_modifiers()?;
            // Each operator nests the tree one level deeper.
            self.enter()?;
            wraps += 1;
            let next_min = if op == BinOpKind::Pow { prec } else { prec + 1 };
            let rhs = self.expr(next_min)?;
            lhs = Node::Sample(self.binop(op, op_idx, lhs, rhs, return_bool, matching)?);
        }
        self.depth -= 1 + wraps;
        Ok(lhs)
    }

    /// A sample expression where only samples are allowed: a log query there
    /// is reported as Loki's parser does, at the token after it.
    fn sample_expr(&mut self) -> PResult<SampleExpr> {
        match self.expr(0)? {
            Node::Sample(s) => Ok(s),
            Node::Log(_) => Err(self.unexpected(&[])),
        }
    }

    fn unary(&mut self) -> PResult<Node> {
        use TokenKind as T;
        match self.peek() {
            Some(T::LParen) => {
                self.bump();
                let inner = self.expr(0)?;
                self.expect(T::RParen, &[])?;
                Ok(inner)
            }
            Some(T::LBrace) => Ok(Node::Log(self.log_expr()?)),
            Some(T::Number | T::Add | T::Sub) => {
                Ok(Node::Sample(SampleExpr::Literal(self.literal()?)))
            }
            Some(T::RangeFn(op)) => Ok(Node::Sample(self.range_agg(op)?)),
            Some(T::VectorFn(op)) => Ok(Node::Sample(self.vector_agg(op)?)),
            Some(T::Vector) => {
                self.bump();
                self.expect(T::LParen, &[T::LParen])?;
                let n = self.expect(T::Number, &[T::Number])?;
                let value = self.number(n)?;
                self.expect(T::RParen, &[T::RParen])?;
                Ok(Node::Sample(SampleExpr::VectorLit(value)))
            }
            Some(T::LabelReplace) => Ok(Node::Sample(self.label_replace()?)),
            _ => Err(self.unexpected(&[])),
        }
    }

    /// `42`, `+42`, `-4.2`.
    fn literal(&mut self) -> PResult<f64> {
        use TokenKind as T;
        let negative = match self.peek() {
            Some(T::Add) => {
                self.bump();
                false
            }
            Some(T::Sub) => {
                self.bump();
                true
            }
            _ => false,
        };
        let n = self.expect(T::Number, &[T::Number])?;
        let value = self.number(n)?;
        Ok(if negative { -value } else { value })
    }

    /// The value of NUMBER token `idx`.
    fn number(&self, idx: usize) -> PResult<f64> {
        let text = self.text(idx);
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error_at(
                idx,
                format!("unable to parse literal as a float: strconv.ParseFloat: parsing {text:?}: value out of range"),
            )),
        }
    }

    /// `bool`, `on (a)`/`ignoring (a)`, `group_left (b)`/`group_right`.
    fn binop_modifiers(&mut self) -> PResult<(bool, Option<VectorMatching>)> {
        use TokenKind as T;
        let return_bool = self.peek() == Some(T::Bool);
        if return_bool {
            self.bump();
        }
        let on = match self.peek() {
            Some(T::On) => true,
            Some(T::Ignoring) => false,
            _ => return Ok((return_bool, None)),
        };
        self.bump();
        let labels = self.label_list()?;
        let group = match self.peek() {
            Some(kind @ (T::GroupLeft | T::GroupRight)) => {
                self.bump();
                let include = if self.peek() == Some(T::LParen) {
                    self.label_list()?
                } else {
                    Vec::new()
                };
                Some(if kind == T::GroupLeft {
                    GroupSide::Left(include)
                } else {
                    GroupSide::Right(include)
                })
            }
            _ => None,
        };
        Ok((return_bool, Some(VectorMatching { on, labels, group })))
    }

    /// `( a, b )`, possibly empty.
    fn label_list(&mut self) -> PResult<Vec<String>> {
        use TokenKind as T;
        self.expect(T::LParen, &[T::LParen])?;
        let mut labels = Vec::new();
        if self.peek() == Some(T::RParen) {
            self.bump();
            return Ok(labels);
        }
        labels.push(self.ident(&[T::Ident, T::RParen])?);
        loop {
            match self.peek() {
                Some(T::Comma) => {
                    self.bump();
                    labels.push(self.ident(&[T::Ident])?);
                }
                Some(T::RParen) => {
                    self.bump();
                    return Ok(labels);
                }
                _ => return Err(self.unexpected(&[T::Comma, T::RParen])),
            }
        }
    }

    fn grouping(&mut self) -> PResult<Grouping> {
        let without = self.peek() == Some(TokenKind::Without);
        self.bump();
        let labels = self.label_list()?;
        Ok(Grouping { without, labels })
    }

    fn binop(
        &self,
        op: BinOpKind,
        op_idx: usize,
        lhs: Node,
        rhs: Node,
        return_bool: bool,
        matching: Option<VectorMatching>,
    ) -> PResult<SampleExpr> {
        let leg = |node: Node, side: &str| match node {
            Node::Sample(s) => Ok(s),
            Node::Log(log) => {
                let ty = if log.pipeline.is_empty() {
                    "*syntax.MatchersExpr"
                } else {
                    "*syntax.PipelineExpr"
                };
                Err(self.error_at(
                    op_idx,
                    format!(
                        "unexpected type for {side} leg of binary operation ({}): {ty}",
                        op.symbol()
                    ),
                ))
            }
        };
        let lhs = leg(lhs, "left")?;
        let rhs = leg(rhs, "right")?;
        if op.is_set() {
            for (side, leg) in [("left", &lhs), ("right", &rhs)] {
                if let Some(v) = validate::literal_value(leg) {
                    return Err(self.error_at(
                        op_idx,
                        format!(
                            "unexpected literal for {side} leg of logical/set binary operation ({}): {v:.6}",
                            op.symbol()
                        ),
                    ));
                }
            }
        }
        Ok(SampleExpr::BinOp(Box::new(BinOp {
            op,
            lhs,
            rhs,
            return_bool,
            matching,
        })))
    }

    /// Loki checks, once the query has parsed, that every selector has a
    /// matcher that rejects the empty string.
    fn check_selectors(&self) -> PResult<()> {
        match self.empty_selector {
            Some(idx) => Err(self.error_at(idx, validate::EMPTY_SELECTOR)),
            None => Ok(()),
        }
    }
}

fn binop_kind(kind: TokenKind) -> Option<BinOpKind> {
    use TokenKind as T;
    Some(match kind {
        T::Or => BinOpKind::Or,
        T::And => BinOpKind::And,
        T::Unless => BinOpKind::Unless,
        T::CmpEq => BinOpKind::Eq,
        T::Neq => BinOpKind::Neq,
        T::Gt => BinOpKind::Gt,
        T::Ge => BinOpKind::Ge,
        T::Lt => BinOpKind::Lt,
        T::Le => BinOpKind::Le,
        T::Add => BinOpKind::Add,
        T::Sub => BinOpKind::Sub,
        T::Mul => BinOpKind::Mul,
        T::Div => BinOpKind::Div,
        T::Mod => BinOpKind::Mod,
        T::Pow => BinOpKind::Pow,
        _ => return None,
    })
}
