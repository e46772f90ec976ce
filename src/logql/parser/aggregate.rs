//! Aggregations and functions: `sum by (a) (...)`, `topk(3, ...)`,
//! `count_over_time(...[5m])`, `quantile_over_time(0.9, ...)`, and
//! `label_replace(...)`, with Loki's checks on their parameters.

use super::{PResult, Parser, validate};
use crate::logql::ast::*;
use crate::logql::lexer::TokenKind;

impl Parser<'_> {
    /// `sum by (a) (expr)`, `topk(3, expr) without (b)`.
    pub(super) fn vector_agg(&mut self, op: VectorOp) -> PResult<SampleExpr> {
        use TokenKind as T;
        let start = self.bump();
        let mut grouping = None;
        if matches!(self.peek(), Some(T::By | T::Without)) {
            grouping = Some(self.grouping()?);
        }
        self.expect(T::LParen, &[T::LParen])?;
        let mut param = None;
        if self.peek() == Some(T::Number) && self.peek_at(1) == Some(T::Comma) {
            param = Some(self.bump());
            self.bump();
        }
        let inner = self.sample_expr()?;
        self.expect(T::RParen, &[])?;
        if grouping.is_none() && matches!(self.peek(), Some(T::By | T::Without)) {
            grouping = Some(self.grouping()?);
        }
        let param = self.vector_param(op, start, param)?;
        if matches!(op, VectorOp::Sort | VectorOp::SortDesc)
            && grouping.as_ref().is_some_and(|g| !g.labels.is_empty())
        {
            return Err(self.error_at(start, "sort and sort_desc doesn't allow grouping by "));
        }
        // `by ()` groups everything together, as no grouping does.
        if grouping
            .as_ref()
            .is_some_and(|g| !g.without && g.labels.is_empty())
        {
            grouping = None;
        }
        Ok(SampleExpr::Vector(VectorAgg {
            op,
            param,
            inner: Box::new(inner),
            grouping,
        }))
    }

    /// Loki's rules for the k of `topk`/`bottomk` (a positive integer) and
    /// for parameters elsewhere (refused).
    fn vector_param(
        &self,
        op: VectorOp,
        start: usize,
        param: Option<usize>,
    ) -> PResult<Option<f64>> {
        let name = op.name();
        match (op, param) {
            (VectorOp::Topk | VectorOp::Bottomk, None) => {
                Err(self.error_at(start, format!("parameter required for operation {name}")))
            }
            (VectorOp::Topk | VectorOp::Bottomk, Some(idx)) => {
                let text = self.text(idx);
                match text.parse::<i64>() {
                    Ok(k) if k > 0 => Ok(Some(k as f64)),
                    Ok(_) => Err(self.error_at(
                        idx,
                        format!("invalid parameter (must be greater than 0) {name}({text}"),
                    )),
                    Err(_) => Err(self.error_at(idx, format!("invalid parameter {name}({text},"))),
                }
            }
            (_, Some(idx)) => Err(self.error_at(
                idx,
                format!(
                    "unsupported parameter for operation {name}({},",
                    self.text(idx)
                ),
            )),
            (_, None) => Ok(None),
        }
    }

    /// `count_over_time({...}[5m])`, `quantile_over_time(0.9, ... | unwrap x [5m]) by (a)`.
    pub(super) fn range_agg(&mut self, op: RangeOp) -> PResult<SampleExpr> {
        use TokenKind as T;
        let start = self.bump();
        self.expect(T::LParen, &[T::LParen])?;
        let mut param_idx = None;
        if self.peek() == Some(T::Number) {
            param_idx = Some(self.bump());
            self.expect(T::Comma, &[T::Comma])?;
        }
        let range = self.log_range()?;
        self.expect(T::RParen, &[])?;
        let grouping = if matches!(self.peek(), Some(T::By | T::Without)) {
            Some(self.grouping()?)
        } else {
            None
        };
        let name = op.name();
        let param = match (op, param_idx) {
            (RangeOp::QuantileOverTime, Some(idx)) => Some(self.number(idx)?),
            (RangeOp::QuantileOverTime, None) => {
                return Err(
                    self.error_at(start, format!("parameter required for operation {name}"))
                );
            }
            (_, Some(idx)) => {
                return Err(self.error_at(
                    idx,
                    format!(
                        "parameter {} not supported for operation {name}",
                        self.text(idx)
                    ),
                ));
            }
            (_, None) => None,
        };
        validate::range_agg(op, grouping.is_some(), range.unwrap.is_some())
            .map_err(|m| self.error_at(start, m))?;
        Ok(SampleExpr::Range(RangeAgg {
            op,
            param,
            range,
            grouping,
        }))
    }

    /// `label_replace(expr, "dst", "replacement", "src", "regex")`.
    pub(super) fn label_replace(&mut self) -> PResult<SampleExpr> {
        use TokenKind as T;
        let start = self.bump();
        self.expect(T::LParen, &[T::LParen])?;
        let inner = self.sample_expr()?;
        let mut args = Vec::with_capacity(4);
        for _ in 0..4 {
            self.expect(T::Comma, &[T::Comma])?;
            args.push(self.string(&[T::String])?);
        }
        self.expect(T::RParen, &[T::RParen])?;
        let [dst, replacement, src, regex]: [String; 4] = args
            .try_into()
            .map_err(|_| self.error_at(start, "label_replace needs four strings"))?;
        validate::label_replace(&dst, &regex).map_err(|m| self.error_at(start, m))?;
        Ok(SampleExpr::LabelReplace(Box::new(LabelReplace {
            inner,
            dst,
            replacement,
            src,
            regex,
        })))
    }
}
