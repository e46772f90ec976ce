//! The LogQL syntax tree: what the parser builds, the printer prints and the
//! embedded engine evaluates.
//!
//! The shape follows Loki's own `syntax` package: a query is either a log
//! query (a stream selector and a pipeline) or a sample query (range and
//! vector aggregations, binary operations, literals). Parentheses are not kept:
//! the printer adds them where precedence needs them, so `print` then `parse`
//! gives back an equal tree.

/// A whole LogQL query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `{app="hdfs"} |= "x" | json`: returns log lines.
    Log(LogExpr),
    /// Anything that returns numbers: `count_over_time(...)`, `sum(...)`, `1 + 2`.
    Sample(SampleExpr),
}

/// A stream selector followed by a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct LogExpr {
    pub matchers: Vec<Matcher>,
    pub pipeline: Vec<Stage>,
}

/// One `name op "value"` of a stream selector or a string label filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `=~` (anchored at both ends, as in Prometheus)
    Re,
    /// `!~`
    Nre,
}

/// One stage of a log pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// `|= "a"`, `!~ "b"`, `|= "a" or "b"`.
    LineFilter(LineFilter),
    /// `| json`, `| logfmt`, `| regexp "..."`, `| pattern "..."`, `| unpack`.
    Parser(ParserStage),
    /// `| status >= 400 or level="error"`.
    LabelFilter(LabelFilter),
    /// `| line_format "{{.a}}"`: the template text, unescaped.
    LineFormat(String),
    /// `| label_format a=b, c="{{.d}}"`.
    LabelFormat(Vec<LabelFmt>),
    /// `| drop a, b="v"`.
    Drop(Vec<LabelSel>),
    /// `| keep a, b="v"`.
    Keep(Vec<LabelSel>),
    /// `| decolorize`.
    Decolorize,
}

/// A line filter: one operator and one or more values joined by `or`.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFilter {
    pub op: FilterOp,
    /// `|= "a" or "b"` holds `["a", "b"]`: the line passes if any value
    /// matches (for `!=` and `!~`: if none does).
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterOp {
    /// `|=`
    Contains,
    /// `!=`
    NotContains,
    /// `|~`
    Regex,
    /// `!~`
    NotRegex,
    /// `|>` (pattern match)
    Pattern,
    /// `!>`
    NotPattern,
    /// `|= ip("…")`: the line holds an address of the pattern.
    Ip,
    /// `!= ip("…")`
    NotIp,
}

/// A parser stage.
#[derive(Debug, Clone, PartialEq)]
pub enum ParserStage {
    /// `| json` or `| json a="b.c", d` (label = JSON path expression).
    Json(Vec<ExtractParam>),
    /// `| logfmt`, `| logfmt --strict --keep-empty a="b"`.
    Logfmt {
        strict: bool,
        keep_empty: bool,
        params: Vec<ExtractParam>,
    },
    /// `| regexp "(?P<name>...)"`: the regex text, unescaped.
    Regexp(String),
    /// `| pattern "<a> <_>"`: the pattern text, unescaped.
    Pattern(String),
    /// `| unpack`
    Unpack,
}

/// `label="expression"` in `| json` and `| logfmt`; a bare `label` has
/// `expr == label`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractParam {
    pub label: String,
    pub expr: String,
}

/// A label filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelFilter {
    /// `a and b`, `a, b` and `a b` all mean and.
    And(Box<LabelFilter>, Box<LabelFilter>),
    Or(Box<LabelFilter>, Box<LabelFilter>),
    /// `name="v"`, `name=~"re"`, `__error__!=""`.
    String(Matcher),
    /// `status >= 400`, `ratio < 0.5`.
    Number { name: String, op: CmpOp, value: f64 },
    /// `took > 10ms`: the value in nanoseconds.
    Duration { name: String, op: CmpOp, value: i64 },
    /// `size > 20KB`: the value in bytes.
    Bytes { name: String, op: CmpOp, value: u64 },
    /// `addr = ip("10.0.0.0/8")`, `addr != ip(…)`.
    Ip { name: String, negated: bool, pattern: String },
}

/// Comparison operators of numeric, duration and bytes label filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==` (also written `=`)
    Eq,
    Neq,
    Gt,
    Ge,
    Lt,
    Le,
}

/// One `dst=src` (rename) or `dst="template"` of `label_format`.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelFmt {
    Rename { dst: String, src: String },
    Template { dst: String, template: String },
}

/// A label named in `drop` or `keep`, optionally only when it matches.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelSel {
    pub name: String,
    pub matcher: Option<(MatchOp, String)>,
}

/// A sample (metric) expression.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleExpr {
    Range(RangeAgg),
    Vector(VectorAgg),
    BinOp(Box<BinOp>),
    /// A number literal: `2`, `-1.5`.
    Literal(f64),
    /// `vector(1)`.
    VectorLit(f64),
    /// `label_replace(expr, "dst", "replacement", "src", "regex")`.
    LabelReplace(Box<LabelReplace>),
}

/// `count_over_time({...} [5m])`, `quantile_over_time(0.9, ... | unwrap x [5m]) by (a)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeAgg {
    pub op: RangeOp,
    /// The φ of `quantile_over_time`.
    pub param: Option<f64>,
    pub range: LogRange,
    /// `by`/`without` after the call (only for unwrapped aggregations).
    pub grouping: Option<Grouping>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeOp {
    CountOverTime,
    Rate,
    RateCounter,
    BytesOverTime,
    BytesRate,
    AvgOverTime,
    SumOverTime,
    MinOverTime,
    MaxOverTime,
    StddevOverTime,
    StdvarOverTime,
    QuantileOverTime,
    FirstOverTime,
    LastOverTime,
    AbsentOverTime,
}

impl RangeOp {
    pub const ALL: [RangeOp; 15] = [
        RangeOp::CountOverTime,
        RangeOp::Rate,
        RangeOp::RateCounter,
        RangeOp::BytesOverTime,
        RangeOp::BytesRate,
        RangeOp::AvgOverTime,
        RangeOp::SumOverTime,
        RangeOp::MinOverTime,
        RangeOp::MaxOverTime,
        RangeOp::StddevOverTime,
        RangeOp::StdvarOverTime,
        RangeOp::QuantileOverTime,
        RangeOp::FirstOverTime,
        RangeOp::LastOverTime,
        RangeOp::AbsentOverTime,
    ];

    /// The function name as written in LogQL.
    pub fn name(self) -> &'static str {
        match self {
            RangeOp::CountOverTime => "count_over_time",
            RangeOp::Rate => "rate",
            RangeOp::RateCounter => "rate_counter",
            RangeOp::BytesOverTime => "bytes_over_time",
            RangeOp::BytesRate => "bytes_rate",
            RangeOp::AvgOverTime => "avg_over_time",
            RangeOp::SumOverTime => "sum_over_time",
            RangeOp::MinOverTime => "min_over_time",
            RangeOp::MaxOverTime => "max_over_time",
            RangeOp::StddevOverTime => "stddev_over_time",
            RangeOp::StdvarOverTime => "stdvar_over_time",
            RangeOp::QuantileOverTime => "quantile_over_time",
            RangeOp::FirstOverTime => "first_over_time",
            RangeOp::LastOverTime => "last_over_time",
            RangeOp::AbsentOverTime => "absent_over_time",
        }
    }

    pub fn from_name(s: &str) -> Option<RangeOp> {
        RangeOp::ALL.into_iter().find(|op| op.name() == s)
    }

    /// Whether the aggregation needs `| unwrap` (it works on sample values,
    /// not on line counts or bytes). `rate` works both ways.
    pub fn needs_unwrap(self) -> bool {
        matches!(
            self,
            RangeOp::RateCounter
                | RangeOp::AvgOverTime
                | RangeOp::SumOverTime
                | RangeOp::MinOverTime
                | RangeOp::MaxOverTime
                | RangeOp::StddevOverTime
                | RangeOp::StdvarOverTime
                | RangeOp::QuantileOverTime
                | RangeOp::FirstOverTime
                | RangeOp::LastOverTime
        )
    }
}

/// The log side of a range aggregation: `{...} | pipeline [5m] offset 1h`,
/// with an optional `| unwrap`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRange {
    pub log: LogExpr,
    /// The range in nanoseconds.
    pub range: i64,
    /// `offset` in nanoseconds, 0 when absent.
    pub offset: i64,
    pub unwrap: Option<Unwrap>,
}

/// `| unwrap name`, `| unwrap duration(name)`, `| unwrap bytes(name)`, and
/// the label filters after it (`| __error__=""`).
#[derive(Debug, Clone, PartialEq)]
pub struct Unwrap {
    pub label: String,
    pub conv: UnwrapConv,
    pub post_filters: Vec<LabelFilter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnwrapConv {
    /// A plain number.
    Number,
    /// `duration(x)` / `duration_seconds(x)`: a Go duration, in seconds.
    Duration,
    /// `bytes(x)`: a humanized byte size.
    Bytes,
}

/// `by (a, b)` or `without (a)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    pub without: bool,
    pub labels: Vec<String>,
}

/// `sum by (a) (expr)`, `topk(3, expr)`.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorAgg {
    pub op: VectorOp,
    /// The k of `topk`/`bottomk`.
    pub param: Option<f64>,
    pub inner: Box<SampleExpr>,
    pub grouping: Option<Grouping>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorOp {
    Sum,
    Avg,
    Min,
    Max,
    Count,
    Stddev,
    Stdvar,
    Topk,
    Bottomk,
    Sort,
    SortDesc,
}

impl VectorOp {
    pub const ALL: [VectorOp; 11] = [
        VectorOp::Sum,
        VectorOp::Avg,
        VectorOp::Min,
        VectorOp::Max,
        VectorOp::Count,
        VectorOp::Stddev,
        VectorOp::Stdvar,
        VectorOp::Topk,
        VectorOp::Bottomk,
        VectorOp::Sort,
        VectorOp::SortDesc,
    ];

    pub fn name(self) -> &'static str {
        match self {
            VectorOp::Sum => "sum",
            VectorOp::Avg => "avg",
            VectorOp::Min => "min",
            VectorOp::Max => "max",
            VectorOp::Count => "count",
            VectorOp::Stddev => "stddev",
            VectorOp::Stdvar => "stdvar",
            VectorOp::Topk => "topk",
            VectorOp::Bottomk => "bottomk",
            VectorOp::Sort => "sort",
            VectorOp::SortDesc => "sort_desc",
        }
    }

    pub fn from_name(s: &str) -> Option<VectorOp> {
        VectorOp::ALL.into_iter().find(|op| op.name() == s)
    }
}

/// `lhs op rhs` between vectors and scalars.
#[derive(Debug, Clone, PartialEq)]
pub struct BinOp {
    pub op: BinOpKind,
    pub lhs: SampleExpr,
    pub rhs: SampleExpr,
    /// `> bool`: comparisons return 0/1 instead of filtering.
    pub return_bool: bool,
    /// `on (a)` / `ignoring (a)`, with `group_left`/`group_right`.
    pub matching: Option<VectorMatching>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOpKind {
    Or,
    And,
    Unless,
    Eq,
    Neq,
    Gt,
    Ge,
    Lt,
    Le,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl BinOpKind {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOpKind::Or => "or",
            BinOpKind::And => "and",
            BinOpKind::Unless => "unless",
            BinOpKind::Eq => "==",
            BinOpKind::Neq => "!=",
            BinOpKind::Gt => ">",
            BinOpKind::Ge => ">=",
            BinOpKind::Lt => "<",
            BinOpKind::Le => "<=",
            BinOpKind::Add => "+",
            BinOpKind::Sub => "-",
            BinOpKind::Mul => "*",
            BinOpKind::Div => "/",
            BinOpKind::Mod => "%",
            BinOpKind::Pow => "^",
        }
    }

    /// Binding strength, as in Prometheus: `or` < `and`/`unless` <
    /// comparisons < `+ -` < `* / %` < `^` (right-associative).
    pub fn precedence(self) -> u8 {
        match self {
            BinOpKind::Or => 1,
            BinOpKind::And | BinOpKind::Unless => 2,
            BinOpKind::Eq
            | BinOpKind::Neq
            | BinOpKind::Gt
            | BinOpKind::Ge
            | BinOpKind::Lt
            | BinOpKind::Le => 3,
            BinOpKind::Add | BinOpKind::Sub => 4,
            BinOpKind::Mul | BinOpKind::Div | BinOpKind::Mod => 5,
            BinOpKind::Pow => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }

    pub fn is_set(self) -> bool {
        matches!(self, BinOpKind::Or | BinOpKind::And | BinOpKind::Unless)
    }
}

/// Vector matching of a binary operation.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatching {
    /// `on (...)` when true, `ignoring (...)` when false.
    pub on: bool,
    pub labels: Vec<String>,
    pub group: Option<GroupSide>,
}

/// `group_left (a)` / `group_right (a)`: many-to-one matching, with labels
/// copied from the "one" side.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupSide {
    Left(Vec<String>),
    Right(Vec<String>),
}

/// `label_replace(v, dst, replacement, src, regex)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelReplace {
    pub inner: SampleExpr,
    pub dst: String,
    pub replacement: String,
    pub src: String,
    pub regex: String,
}
