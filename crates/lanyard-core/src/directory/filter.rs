//! Okta's list query expressions: the `filter` and `search` parameters of `GET /api/v1/users` and the `filter`
//! parameter of `GET /api/v1/logs`.
//!
//! [`parse`] turns an (already percent-decoded) expression into an [`Expr`] tree, checking it against a [`Schema`]
//! that says which attributes and operators the caller accepts ([`USER_FILTER`], [`USER_SEARCH`], [`LOG_FILTER`]).
//! The storage layer compiles the tree into parameterised SQL. Values are not interpreted here: a timestamp such as
//! `"2013-06-01T00:00:00.000Z"` stays a string until the storage layer reads it.
//!
//! # Grammar
//!
//! ```text
//! expression = or-expr ;
//! or-expr    = and-expr , { "or" , and-expr } ;          (* left-associative *)
//! and-expr   = unary , { "and" , unary } ;               (* left-associative *)
//! unary      = "not" , unary | "(" , or-expr , ")" | condition ;
//! condition  = attribute , "pr"
//!            | attribute , operator , value ;
//! operator   = "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "sw" | "co" | "ew" ;
//! value      = string | number | "true" | "false" | "null" ;
//! attribute  = name , { "." , name } ;
//! name       = ( letter | "_" ) , { letter | digit | "_" } ;      (* at most 64 characters *)
//! string     = '"' , { any character except '"', "\" and control characters | '\"' | '\\' } , '"' ;
//! number     = [ "-" ] , ( "0" | nonzero-digit , { digit } ) , [ "." , digit , { digit } ]
//!              , [ ( "e" | "E" ) , [ "+" | "-" ] , digit , { digit } ] ;        (* JSON's number syntax *)
//! ```
//!
//! So `not` binds tighter than `and`, which binds tighter than `or`. Tokens may be separated by any run of spaces
//! and tabs (words must be). Keywords and operators are case-insensitive (`EQ`, `And`, `TRUE`); attribute names are
//! case-sensitive. Which attributes and operators are accepted, and whether `pr` and `not` are, is up to the
//! [`Schema`]; values are type-checked only as far as the operator demands (`sw`, `co` and `ew` take a string; `gt`,
//! `ge`, `lt` and `le` a string or a number).
//!
//! # Errors and limits
//!
//! Every error is a [`ParseError`] whose message is a sentence fit for an API client and whose position is a 0-based
//! offset in characters. The parser rejects input longer than [`Schema::max_len`] before reading it, and nesting
//! (parentheses and `not`) deeper than [`Schema::max_depth`] (never more than [`NESTING_CEILING`]), so hostile input
//! can neither exhaust the stack nor build an unbounded tree.

use std::fmt::{self, Write as _};

/// The deepest nesting of parentheses and `not` any [`Schema`] may allow; a larger [`Schema::max_depth`] is
/// lowered to this. It keeps the parser's recursion, and that of anything walking the tree, shallow.
pub const NESTING_CEILING: usize = 64;

/// The longest a single dot-separated part of an attribute name may be.
pub const MAX_NAME_LEN: usize = 64;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
    /// `sw`: starts with.
    Sw,
    /// `co`: contains.
    Co,
    /// `ew`: ends with.
    Ew,
}

impl Op {
    /// Every operator, in the order error messages list them.
    pub const ALL: [Op; 9] = [
        Op::Eq,
        Op::Ne,
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
        Op::Sw,
        Op::Co,
        Op::Ew,
    ];

    /// The operator's keyword, in lower case (`"eq"`).
    pub const fn keyword(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
            Op::Sw => "sw",
            Op::Co => "co",
            Op::Ew => "ew",
        }
    }

    /// The operator a keyword names, ignoring case (`"EQ"` is [`Op::Eq`]).
    pub fn from_keyword(word: &str) -> Option<Op> {
        Op::ALL
            .into_iter()
            .find(|op| word.eq_ignore_ascii_case(op.keyword()))
    }

    /// Whether the operator orders values (`gt`, `ge`, `lt`, `le`), and so takes a string or a number.
    pub const fn is_ordering(self) -> bool {
        matches!(self, Op::Gt | Op::Ge | Op::Lt | Op::Le)
    }

    /// Whether the operator matches part of a string (`sw`, `co`, `ew`), and so takes a string.
    pub const fn is_substring(self) -> bool {
        matches!(self, Op::Sw | Op::Co | Op::Ew)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// The literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A double-quoted string, unescaped.
    String(String),
    /// A number. Always finite when parsed; integers beyond 2^53 lose precision.
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// Writes the value as the grammar spells it, escaping `"` and `\` in strings.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => {
                f.write_char('"')?;
                for c in s.chars() {
                    if matches!(c, '"' | '\\') {
                        f.write_char('\\')?;
                    }
                    f.write_char(c)?;
                }
                f.write_char('"')
            }
            Value::Number(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
        }
    }
}

/// A parsed expression. Parentheses leave no trace: `(a)` is `a`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `left and right`.
    And(Box<Expr>, Box<Expr>),
    /// `left or right`.
    Or(Box<Expr>, Box<Expr>),
    /// `not inner`.
    Not(Box<Expr>),
    /// `attr op value`, e.g. `status eq "ACTIVE"`.
    Compare { attr: String, op: Op, value: Value },
    /// `attr pr`: the attribute has a value.
    Present { attr: String },
}

impl Expr {
    /// `attr op value`.
    pub fn compare(attr: impl Into<String>, op: Op, value: impl Into<Value>) -> Expr {
        Expr::Compare {
            attr: attr.into(),
            op,
            value: value.into(),
        }
    }

    /// `attr pr`.
    pub fn present(attr: impl Into<String>) -> Expr {
        Expr::Present { attr: attr.into() }
    }

    /// `self and rhs`.
    pub fn and(self, rhs: Expr) -> Expr {
        Expr::And(Box::new(self), Box::new(rhs))
    }

    /// `self or rhs`.
    pub fn or(self, rhs: Expr) -> Expr {
        Expr::Or(Box::new(self), Box::new(rhs))
    }

    /// The distinct attribute names the expression mentions, in order of first appearance (left to right).
    pub fn attributes(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        // An explicit stack, so that no tree, however built, can exhaust the call stack here.
        let mut pending = vec![self];
        while let Some(expr) = pending.pop() {
            match expr {
                Expr::And(left, right) | Expr::Or(left, right) => {
                    pending.push(right);
                    pending.push(left);
                }
                Expr::Not(inner) => pending.push(inner),
                Expr::Compare { attr, .. } | Expr::Present { attr } => {
                    if !names.contains(&attr.as_str()) {
                        names.push(attr);
                    }
                }
            }
        }
        names
    }

    /// Writes `self` with just the parentheses its structure needs, given the binding strength its position
    /// demands: 0 accepts anything, 1 needs at least an `and`, 2 a `not` or a condition.
    fn write(&self, f: &mut fmt::Formatter<'_>, strength: u8) -> fmt::Result {
        let (own, open) = match self {
            Expr::Or(..) => (0, strength > 0),
            Expr::And(..) => (1, strength > 1),
            _ => (2, false),
        };
        if open {
            f.write_char('(')?;
        }
        match self {
            // The right operand binds one step tighter, which keeps a right-nested tree right-nested.
            Expr::Or(left, right) | Expr::And(left, right) => {
                left.write(f, own)?;
                f.write_str(if own == 0 { " or " } else { " and " })?;
                right.write(f, own + 1)?;
            }
            Expr::Not(inner) => {
                f.write_str("not (")?;
                inner.write(f, 0)?;
                f.write_char(')')?;
            }
            Expr::Compare { attr, op, value } => write!(f, "{attr} {op} {value}")?,
            Expr::Present { attr } => write!(f, "{attr} pr")?,
        }
        if open {
            f.write_char(')')?;
        }
        Ok(())
    }
}

/// Writes the expression in canonical form: lower-case keywords, single spaces, `not (…)`, and only the
/// parentheses the structure needs. Parsing the result gives the same tree back (for trees [`parse`] built).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}

/// Logical negation: `!expr` is `not (expr)`.
impl std::ops::Not for Expr {
    type Output = Expr;

    fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }
}

/// What a caller accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// Attribute names, matched case-sensitively. An entry ending in `.*` accepts its prefix followed by any single
    /// name: `profile.*` accepts `profile.firstName` but neither `profile` nor `profile.a.b`.
    pub attributes: &'static [&'static str],
    /// The comparison operators accepted.
    pub operators: &'static [Op],
    /// Whether `attr pr` is accepted.
    pub allow_present: bool,
    /// Whether `not` is accepted.
    pub allow_not: bool,
    /// The deepest nesting of parentheses and `not` accepted (`not (a eq 1)` is two levels); at most
    /// [`NESTING_CEILING`].
    pub max_depth: usize,
    /// The longest input accepted, in characters. It also bounds the size of the tree, so keep it modest.
    pub max_len: usize,
}

/// `GET /api/v1/users?filter=…`: Okta's original, narrow filter language.
pub const USER_FILTER: Schema = Schema {
    attributes: &[
        "status",
        "lastUpdated",
        "id",
        "profile.login",
        "profile.email",
        "profile.firstName",
        "profile.lastName",
    ],
    operators: &[Op::Eq, Op::Gt, Op::Ge, Op::Lt, Op::Le],
    allow_present: false,
    allow_not: false,
    max_depth: 20,
    max_len: 2_000,
};

/// `GET /api/v1/users?search=…`: the SCIM-style search language over any profile attribute.
pub const USER_SEARCH: Schema = Schema {
    attributes: &[
        "status",
        "id",
        "created",
        "lastUpdated",
        "activated",
        "statusChanged",
        "lastLogin",
        "passwordChanged",
        "type.id",
        "profile.*",
    ],
    operators: &Op::ALL,
    allow_present: true,
    allow_not: true,
    max_depth: 20,
    max_len: 2_000,
};

/// `GET /api/v1/logs?filter=…`: the System Log's event filter.
pub const LOG_FILTER: Schema = Schema {
    attributes: &[
        "eventType",
        "displayMessage",
        "severity",
        "uuid",
        "outcome.result",
        "outcome.reason",
        "actor.id",
        "actor.type",
        "actor.alternateId",
        "target.id",
        "target.type",
        "target.alternateId",
        "client.ipAddress",
    ],
    operators: &[Op::Eq, Op::Sw, Op::Co],
    allow_present: false,
    allow_not: false,
    max_depth: 20,
    max_len: 2_000,
};

impl Schema {
    /// Whether `name` is a well-formed attribute name this schema accepts.
    pub fn allows_attribute(&self, name: &str) -> bool {
        is_attribute_name(name)
            && self
                .attributes
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => name
                        .strip_prefix(prefix)
                        .is_some_and(|rest| !rest.is_empty() && !rest.contains('.')),
                    None => *pattern == name,
                })
    }

    /// Whether this schema accepts the comparison operator `op`.
    pub fn allows_operator(&self, op: Op) -> bool {
        self.operators.contains(&op)
    }

    /// An accepted attribute that differs from `name` only in case, for a "did you mean" hint.
    fn suggest(&self, name: &str) -> Option<String> {
        self.attributes
            .iter()
            .find_map(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => {
                    let rest = name
                        .get(..prefix.len())
                        .filter(|head| head.eq_ignore_ascii_case(prefix))
                        .map(|_| &name[prefix.len()..])?;
                    (!rest.is_empty() && !rest.contains('.')).then(|| format!("{prefix}{rest}"))
                }
                None => pattern
                    .eq_ignore_ascii_case(name)
                    .then(|| (*pattern).to_owned()),
            })
            .filter(|suggestion| self.allows_attribute(suggestion))
    }

    /// The accepted attributes, for error messages (`profile.*` reads `profile.<name>`).
    fn attribute_list(&self) -> String {
        let names: Vec<String> = self
            .attributes
            .iter()
            .map(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => format!("{prefix}<name>"),
                None => (*pattern).to_owned(),
            })
            .collect();
        names.join(", ")
    }

    /// The accepted operators, `pr` included, for error messages.
    fn operator_list(&self) -> String {
        let mut keywords: Vec<&str> = self.operators.iter().map(|op| op.keyword()).collect();
        if self.allow_present {
            keywords.push("pr");
        }
        keywords.join(", ")
    }
}

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// A complete sentence for the API client, saying what was expected and where, e.g.
    /// `expected an operator (eq, gt, ge, lt, le) after "status" at position 7, found "is"`.
    pub message: String,
    /// Where the problem was found: a 0-based offset in characters (not bytes) into the input.
    pub position: usize,
}

impl ParseError {
    fn new(position: usize, message: String) -> Self {
        ParseError { message, position }
    }
}

/// Parses `input` as an expression `schema` accepts.
///
/// ```
/// use lanyard_core::directory::filter::{parse, Expr, Op, USER_SEARCH};
///
/// let expr = parse(r#"profile.firstName sw "Ja" and not (status eq "SUSPENDED")"#, &USER_SEARCH).unwrap();
/// assert_eq!(
///     expr,
///     Expr::compare("profile.firstName", Op::Sw, "Ja").and(!Expr::compare("status", Op::Eq, "SUSPENDED"))
/// );
/// assert_eq!(expr.attributes(), ["profile.firstName", "status"]);
/// ```
pub fn parse(input: &str, schema: &Schema) -> Result<Expr, ParseError> {
    // Checked before anything else, and without counting past the limit, however long the input.
    if input.chars().nth(schema.max_len).is_some() {
        return Err(ParseError::new(
            schema.max_len,
            format!(
                "expression is too long: at most {} characters are allowed",
                schema.max_len
            ),
        ));
    }
    let mut parser = Parser::new(input, schema);
    if parser.peek()?.kind == Kind::Eof {
        return Err(ParseError::new(
            0,
            "expected a condition at position 0, but the expression is empty".to_owned(),
        ));
    }
    let expr = parser.or_expr()?;
    let next = parser.peek()?;
    match next.kind {
        Kind::Eof => Ok(expr),
        Kind::RParen => Err(ParseError::new(
            next.pos,
            format!(
                "unexpected \")\" at position {} with no matching \"(\"",
                next.pos
            ),
        )),
        _ => Err(parser.expected("\"and\", \"or\" or end of input", next)),
    }
}

/// Keywords, which are never attribute names.
const RESERVED: [&str; 16] = [
    "and", "or", "not", "pr", "true", "false", "null", "eq", "ne", "gt", "ge", "lt", "le", "sw",
    "co", "ew",
];

/// Whether `name` is a dotted identifier whose parts are at most [`MAX_NAME_LEN`] long.
fn is_attribute_name(name: &str) -> bool {
    name.split('.').all(|part| {
        part.len() <= MAX_NAME_LEN
            && part
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// At most 40 characters of `text`, for quoting in a message.
fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A character quoted for a message; invisible ones as `U+000A`.
fn show_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("\"{c}\"")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A keyword or an attribute name: `[A-Za-z_][A-Za-z0-9_.]*`.
    Word,
    /// A well-formed string literal, quotes and escapes included.
    Str,
    /// A well-formed, finite number.
    Number,
    LParen,
    RParen,
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    /// The token's source text.
    text: &'a str,
    /// Offset of its first character, in characters.
    pos: usize,
}

impl Token<'_> {
    fn is_keyword(&self, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    fn is_value(&self) -> bool {
        matches!(self.kind, Kind::Str | Kind::Number)
            || ["true", "false", "null"].iter().any(|k| self.is_keyword(k))
    }

    /// The token as a message quotes it.
    fn describe(&self) -> String {
        match self.kind {
            Kind::Eof => "end of input".to_owned(),
            // Strings bring their own quotes; numbers need none.
            Kind::Str | Kind::Number => excerpt(self.text),
            Kind::Word | Kind::LParen | Kind::RParen => format!("\"{}\"", excerpt(self.text)),
        }
    }

    /// The contents of a [`Kind::Str`] token, unescaped (the lexer has checked the escapes).
    fn unescape(&self) -> String {
        let inner = &self.text[1..self.text.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            out.extend(if c == '\\' { chars.next() } else { Some(c) });
        }
        out
    }
}

/// Splits the input into tokens, one at a time.
struct Lexer<'a> {
    src: &'a str,
    /// Offset of the next character, in bytes.
    byte: usize,
    /// Offset of the next character, in characters.
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            byte: 0,
            pos: 0,
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.byte..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.byte += c.len_utf8();
        self.pos += 1;
        Some(c)
    }

    fn bump_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.peek_char().is_some_and(&keep) {
            self.bump();
        }
    }

    fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        self.bump_while(|c| c == ' ' || c == '\t');
        let (start_byte, pos) = (self.byte, self.pos);
        let kind = match self.peek_char() {
            None => Kind::Eof,
            Some('(') => {
                self.bump();
                Kind::LParen
            }
            Some(')') => {
                self.bump();
                Kind::RParen
            }
            Some('"') => {
                self.string(pos)?;
                Kind::Str
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                self.bump_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                Kind::Word
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '.' => {
                // Take everything that could belong to a number, so that `12abc` is one bad number, not two tokens.
                self.bump_while(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '+')
                });
                number(&self.src[start_byte..self.byte], pos)?;
                Kind::Number
            }
            Some(c) => return Err(unexpected_char(c, pos)),
        };
        Ok(Token {
            kind,
            text: &self.src[start_byte..self.byte],
            pos,
        })
    }

    /// Consumes a string literal that starts at `start`, checking its escapes and characters.
    fn string(&mut self, start: usize) -> Result<(), ParseError> {
        let unterminated = || {
            ParseError::new(
                start,
                format!("unterminated string starting at position {start}"),
            )
        };
        self.bump();
        loop {
            let pos = self.pos;
            match self.bump().ok_or_else(unterminated)? {
                '"' => return Ok(()),
                '\\' => match self.bump().ok_or_else(unterminated)? {
                    '"' | '\\' => {}
                    c if c.is_control() => return Err(control_char(c, pos + 1)),
                    c => {
                        return Err(ParseError::new(
                            pos,
                            format!(
                                "invalid escape \"\\{c}\" in string at position {pos}; only \\\" and \\\\ are allowed"
                            ),
                        ));
                    }
                },
                c if c.is_control() => return Err(control_char(c, pos)),
                _ => {}
            }
        }
    }
}

fn control_char(c: char, pos: usize) -> ParseError {
    ParseError::new(
        pos,
        format!(
            "strings must not contain control characters, found {} at position {pos}",
            show_char(c)
        ),
    )
}

fn unexpected_char(c: char, pos: usize) -> ParseError {
    let hint = match c {
        '=' | '!' | '<' | '>' => "; operators are words such as eq, ne, gt or lt",
        '&' | '|' => "; combine conditions with \"and\" and \"or\"",
        '\'' => "; strings must be double-quoted",
        '[' | ']' => "; filters on complex attributes ([…]) are not supported",
        _ => "",
    };
    ParseError::new(
        pos,
        format!(
            "unexpected character {} at position {pos}{hint}",
            show_char(c)
        ),
    )
}

/// Checks a number-like run of characters at `pos` against JSON's number syntax.
fn number(text: &str, pos: usize) -> Result<f64, ParseError> {
    fn digits(b: &[u8], i: &mut usize) -> usize {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    }
    let b = text.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let mut valid = match b.get(i) {
        Some(b'0') => {
            i += 1;
            true
        }
        _ => digits(b, &mut i) > 0,
    };
    if valid && b.get(i) == Some(&b'.') {
        i += 1;
        valid = digits(b, &mut i) > 0;
    }
    if valid && matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        valid = digits(b, &mut i) > 0;
    }
    let parsed = text.parse::<f64>().ok().filter(|n| n.is_finite());
    match parsed {
        Some(n) if valid && i == b.len() => Ok(n),
        _ if valid && i == b.len() => Err(ParseError::new(
            pos,
            format!("number {} at position {pos} is out of range", excerpt(text)),
        )),
        _ => {
            // `2013-06-01`, `2013-06-01T00` or `1st`: probably text that wanted quotes.
            let wordy = text.char_indices().any(|(k, c)| {
                (c.is_ascii_alphabetic() && !matches!(c, 'e' | 'E'))
                    || (c == '-' && k > 0 && b[k - 1].is_ascii_digit())
            });
            let hint = if wordy {
                "; strings and timestamps must be double-quoted"
            } else {
                ""
            };
            Err(ParseError::new(
                pos,
                format!(
                    "invalid number \"{}\" at position {pos}{hint}",
                    excerpt(text)
                ),
            ))
        }
    }
}

/// A recursive-descent parser over one token of lookahead.
struct Parser<'a> {
    lexer: Lexer<'a>,
    schema: &'a Schema,
    /// The next token, once peeked.
    peeked: Option<Token<'a>>,
    /// The last token consumed, for "after …" in messages.
    previous: Option<Token<'a>>,
    /// How many parentheses and `not`s enclose the current position.
    depth: usize,
    max_depth: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, schema: &'a Schema) -> Self {
        Parser {
            lexer: Lexer::new(input),
            schema,
            peeked: None,
            previous: None,
            depth: 0,
            max_depth: schema.max_depth.min(NESTING_CEILING),
        }
    }

    fn peek(&mut self) -> Result<Token<'a>, ParseError> {
        match self.peeked {
            Some(token) => Ok(token),
            None => {
                let token = self.lexer.next_token()?;
                self.peeked = Some(token);
                Ok(token)
            }
        }
    }

    fn advance(&mut self) -> Result<Token<'a>, ParseError> {
        let token = self.peek()?;
        self.peeked = None;
        self.previous = Some(token);
        Ok(token)
    }

    /// Consumes the next token if it is `keyword`.
    fn eat_keyword(&mut self, keyword: &str) -> Result<bool, ParseError> {
        let found = self.peek()?.is_keyword(keyword);
        if found {
            self.advance()?;
        }
        Ok(found)
    }

    /// `expected {what} after {previous} at position {found}, found {found}`.
    fn expected(&self, what: &str, found: Token<'_>) -> ParseError {
        let after = self
            .previous
            .map(|token| format!(" after {}", token.describe()))
            .unwrap_or_default();
        ParseError::new(
            found.pos,
            format!(
                "expected {what}{after} at position {}, found {}",
                found.pos,
                found.describe()
            ),
        )
    }

    fn unsupported_operator(&self, keyword: &str, pos: usize) -> ParseError {
        ParseError::new(
            pos,
            format!(
                "operator \"{keyword}\" at position {pos} is not supported here (supported: {})",
                self.schema.operator_list()
            ),
        )
    }

    /// Enters a level of nesting opened by `token`.
    fn enter(&mut self, token: Token<'_>) -> Result<(), ParseError> {
        if self.depth == self.max_depth {
            return Err(ParseError::new(
                token.pos,
                format!(
                    "expression is nested too deeply at position {}: at most {} levels of parentheses and \"not\" are allowed",
                    token.pos, self.max_depth
                ),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    /// `or-expr = and-expr { "or" and-expr }`
    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut expr = self.and_expr()?;
        while self.eat_keyword("or")? {
            expr = expr.or(self.and_expr()?);
        }
        Ok(expr)
    }

    /// `and-expr = unary { "and" unary }`
    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut expr = self.unary()?;
        while self.eat_keyword("and")? {
            expr = expr.and(self.unary()?);
        }
        Ok(expr)
    }

    /// `unary = "not" unary | "(" or-expr ")" | condition`
    fn unary(&mut self) -> Result<Expr, ParseError> {
        let token = self.peek()?;
        if token.is_keyword("not") {
            if !self.schema.allow_not {
                return Err(ParseError::new(
                    token.pos,
                    format!("\"not\" at position {} is not supported here", token.pos),
                ));
            }
            self.enter(token)?;
            self.advance()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(!inner);
        }
        if token.kind != Kind::LParen {
            return self.condition();
        }
        self.enter(token)?;
        self.advance()?;
        let inner = self.or_expr()?;
        let close = self.peek()?;
        match close.kind {
            Kind::RParen => {
                self.advance()?;
            }
            Kind::Eof => {
                return Err(ParseError::new(
                    close.pos,
                    format!(
                        "expected \")\" at position {} to close the \"(\" at position {}, found end of input",
                        close.pos, token.pos
                    ),
                ));
            }
            _ => return Err(self.expected("\"and\", \"or\" or \")\"", close)),
        }
        self.depth -= 1;
        Ok(inner)
    }

    /// `condition = attribute "pr" | attribute operator value`
    fn condition(&mut self) -> Result<Expr, ParseError> {
        let token = self.peek()?;
        if token.kind != Kind::Word || RESERVED.iter().any(|k| token.is_keyword(k)) {
            let what = if self.schema.allow_not {
                "an attribute name, \"(\" or \"not\""
            } else {
                "an attribute name or \"(\""
            };
            return Err(self.expected(what, token));
        }
        let attr = self.attribute(token)?;
        self.advance()?;

        let token = self.peek()?;
        if token.is_keyword("pr") {
            if !self.schema.allow_present {
                return Err(self.unsupported_operator("pr", token.pos));
            }
            self.advance()?;
            let next = self.peek()?;
            if next.is_value() {
                return Err(ParseError::new(
                    next.pos,
                    format!(
                        "operator \"pr\" takes no value, found {} at position {}",
                        next.describe(),
                        next.pos
                    ),
                ));
            }
            return Ok(Expr::Present { attr });
        }
        let op = match Op::from_keyword(token.text) {
            Some(op) if token.kind == Kind::Word => op,
            _ => {
                let what = format!("an operator ({})", self.schema.operator_list());
                return Err(self.expected(&what, token));
            }
        };
        if !self.schema.allows_operator(op) {
            return Err(self.unsupported_operator(op.keyword(), token.pos));
        }
        self.advance()?;
        let value = self.value(op)?;
        Ok(Expr::Compare { attr, op, value })
    }

    /// Checks that `token` names an attribute the schema accepts.
    fn attribute(&self, token: Token<'_>) -> Result<String, ParseError> {
        let name = token.text;
        let mut pos = token.pos;
        for part in name.split('.') {
            // The lexer guarantees the characters; the shape of each part is checked here.
            if !part
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            {
                return Err(ParseError::new(
                    pos,
                    format!(
                        "invalid attribute name \"{}\": expected a letter or underscore after \".\" at position {pos}",
                        excerpt(name)
                    ),
                ));
            }
            if part.len() > MAX_NAME_LEN {
                return Err(ParseError::new(
                    pos,
                    format!(
                        "invalid attribute name \"{}\": the part at position {pos} is longer than {MAX_NAME_LEN} characters",
                        excerpt(name)
                    ),
                ));
            }
            pos += part.len() + 1;
        }
        if self.schema.allows_attribute(name) {
            return Ok(name.to_owned());
        }
        let hint = match self.schema.suggest(name) {
            Some(suggestion) => {
                format!("attribute names are case-sensitive; did you mean \"{suggestion}\"?")
            }
            None => format!("allowed: {}", self.schema.attribute_list()),
        };
        Err(ParseError::new(
            token.pos,
            format!(
                "unknown attribute \"{}\" at position {} ({hint})",
                excerpt(name),
                token.pos
            ),
        ))
    }

    /// `value = string | number | "true" | "false" | "null"`, of a type `op` accepts.
    fn value(&mut self, op: Op) -> Result<Value, ParseError> {
        let token = self.peek()?;
        let value = match token.kind {
            Kind::Str => Value::String(token.unescape()),
            Kind::Number => Value::Number(number(token.text, token.pos)?),
            _ if token.is_keyword("true") => Value::Bool(true),
            _ if token.is_keyword("false") => Value::Bool(false),
            _ if token.is_keyword("null") => Value::Null,
            kind => {
                let mut error = self.expected(
                    "a value (a double-quoted string, a number, true, false or null)",
                    token,
                );
                if kind == Kind::Word {
                    error.message.push_str(" (strings must be double-quoted)");
                }
                return Err(error);
            }
        };
        let wanted = match value {
            Value::String(_) => None,
            _ if op.is_substring() => Some("a string"),
            Value::Bool(_) | Value::Null if op.is_ordering() => Some("a string or a number"),
            _ => None,
        };
        if let Some(wanted) = wanted {
            return Err(ParseError::new(
                token.pos,
                format!(
                    "operator \"{op}\" needs {wanted}, found {} at position {}",
                    token.describe(),
                    token.pos
                ),
            ));
        }
        self.advance()?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- helpers --------------------------------------------------------------------------------------------

    /// Parses `input`, failing the test on error, and checks that the canonical form parses back to the same tree.
    fn ok(input: &str, schema: &Schema) -> Expr {
        let expr = parse(input, schema).unwrap_or_else(|e| panic!("{input:?} was refused: {e}"));
        let canonical = expr.to_string();
        assert_eq!(
            parse(&canonical, schema).as_ref(),
            Ok(&expr),
            "{input:?} printed as {canonical:?}, which does not parse back"
        );
        expr
    }

    /// Parses `input`, expecting an error, and checks that its display is its message.
    fn refused(input: &str, schema: &Schema) -> ParseError {
        let error = parse(input, schema).expect_err(input);
        assert_eq!(error.to_string(), error.message);
        error
    }

    /// Asserts the exact error `input` gets.
    #[track_caller]
    fn assert_refused(input: &str, schema: &Schema, position: usize, message: &str) {
        let error = refused(input, schema);
        assert_eq!(
            (error.position, error.message.as_str()),
            (position, message),
            "input {input:?}"
        );
    }

    fn cmp(attr: &str, op: Op, value: impl Into<Value>) -> Expr {
        Expr::compare(attr, op, value)
    }

    fn eq(attr: &str, value: impl Into<Value>) -> Expr {
        cmp(attr, Op::Eq, value)
    }

    /// A schema for exercising the grammar: attributes `a` to `e` and `x.*`, every feature, generous limits.
    const ANY: Schema = Schema {
        attributes: &["a", "b", "c", "d", "e", "x.*"],
        operators: &Op::ALL,
        allow_present: true,
        allow_not: true,
        max_depth: 20,
        max_len: 1_000_000,
    };

    // ---- Okta's documented examples --------------------------------------------------------------------------

    #[test]
    fn okta_user_filter_examples() {
        for schema in [&USER_FILTER, &USER_SEARCH] {
            assert_eq!(ok(r#"status eq "STAGED""#, schema), eq("status", "STAGED"));
            assert_eq!(
                ok(r#"lastUpdated gt "2013-06-01T00:00:00.000Z""#, schema),
                cmp("lastUpdated", Op::Gt, "2013-06-01T00:00:00.000Z")
            );
            assert_eq!(
                ok(r#"id eq "00u1ero7vZFVEIYLWPBN""#, schema),
                eq("id", "00u1ero7vZFVEIYLWPBN")
            );
            assert_eq!(
                ok(r#"profile.login eq "login@example.com""#, schema),
                eq("profile.login", "login@example.com")
            );
            assert_eq!(
                ok(r#"status eq "ACTIVE" or status eq "PROVISIONED""#, schema),
                eq("status", "ACTIVE").or(eq("status", "PROVISIONED"))
            );
            assert_eq!(
                ok(
                    r#"lastUpdated gt "2013-06-01T00:00:00.000Z" and lastUpdated lt "2013-07-01T00:00:00.000Z""#,
                    schema
                ),
                cmp("lastUpdated", Op::Gt, "2013-06-01T00:00:00.000Z").and(cmp(
                    "lastUpdated",
                    Op::Lt,
                    "2013-07-01T00:00:00.000Z"
                ))
            );
            assert_eq!(
                ok(
                    r#"status eq "ACTIVE" and (lastUpdated lt "2013-06-01T00:00:00.000Z" or lastUpdated ge "2014-01-01T00:00:00.000Z")"#,
                    schema
                ),
                eq("status", "ACTIVE").and(
                    cmp("lastUpdated", Op::Lt, "2013-06-01T00:00:00.000Z").or(cmp(
                        "lastUpdated",
                        Op::Ge,
                        "2014-01-01T00:00:00.000Z"
                    ))
                )
            );
            assert_eq!(
                ok(
                    r#"profile.firstName eq "John" and profile.lastName eq "Smith""#,
                    schema
                ),
                eq("profile.firstName", "John").and(eq("profile.lastName", "Smith"))
            );
            assert_eq!(
                ok(r#"profile.email eq "j@example.com""#, schema),
                eq("profile.email", "j@example.com")
            );
            assert_eq!(
                ok(r#"lastUpdated le "2013-06-01T00:00:00.000Z""#, schema),
                cmp("lastUpdated", Op::Le, "2013-06-01T00:00:00.000Z")
            );
        }
    }

    #[test]
    fn okta_user_search_examples() {
        let s = &USER_SEARCH;
        assert_eq!(
            ok(
                r#"profile.department eq "Engineering" and (status eq "ACTIVE" or status eq "LOCKED_OUT")"#,
                s
            ),
            eq("profile.department", "Engineering")
                .and(eq("status", "ACTIVE").or(eq("status", "LOCKED_OUT")))
        );
        assert_eq!(
            ok(r#"profile.firstName sw "Ja""#, s),
            cmp("profile.firstName", Op::Sw, "Ja")
        );
        assert_eq!(
            ok("profile.mobilePhone pr", s),
            Expr::present("profile.mobilePhone")
        );
        assert_eq!(
            ok(r#"not (status eq "ACTIVE")"#, s),
            !eq("status", "ACTIVE")
        );
        assert_eq!(
            ok(r#"profile.occupation eq "Leader""#, s),
            eq("profile.occupation", "Leader")
        );
        assert_eq!(
            ok(r#"type.id eq "otyfnjfba4ye7pgjB0g4""#, s),
            eq("type.id", "otyfnjfba4ye7pgjB0g4")
        );
        assert_eq!(
            ok(
                r#"status eq "ACTIVE" and lastLogin lt "2020-01-01T00:00:00.000Z""#,
                s
            ),
            eq("status", "ACTIVE").and(cmp("lastLogin", Op::Lt, "2020-01-01T00:00:00.000Z"))
        );
        assert_eq!(
            ok(r#"profile.email co "@example.com""#, s),
            cmp("profile.email", Op::Co, "@example.com")
        );
        assert_eq!(
            ok(r#"profile.email ew ".org""#, s),
            cmp("profile.email", Op::Ew, ".org")
        );
        assert_eq!(
            ok(r#"status ne "DEPROVISIONED""#, s),
            cmp("status", Op::Ne, "DEPROVISIONED")
        );
        for attr in ["created", "activated", "statusChanged", "passwordChanged"] {
            let input = format!(r#"{attr} ge "2024-02-29T12:00:00.000Z""#);
            assert_eq!(ok(&input, s), cmp(attr, Op::Ge, "2024-02-29T12:00:00.000Z"));
        }
    }

    #[test]
    fn okta_log_filter_examples() {
        let s = &LOG_FILTER;
        assert_eq!(
            ok(r#"eventType eq "user.session.start""#, s),
            eq("eventType", "user.session.start")
        );
        assert_eq!(
            ok(
                r#"target.id eq "00uxc78lMKUMVIHLTAXY" and eventType eq "user.session.start""#,
                s
            ),
            eq("target.id", "00uxc78lMKUMVIHLTAXY").and(eq("eventType", "user.session.start"))
        );
        assert_eq!(
            ok(
                r#"outcome.result eq "FAILURE" and (client.ipAddress eq "10.0.0.1" or actor.id eq "00u1")"#,
                s
            ),
            eq("outcome.result", "FAILURE")
                .and(eq("client.ipAddress", "10.0.0.1").or(eq("actor.id", "00u1")))
        );
        assert_eq!(ok(r#"severity eq "WARN""#, s), eq("severity", "WARN"));
        assert_eq!(
            ok(r#"eventType sw "user.authentication""#, s),
            cmp("eventType", Op::Sw, "user.authentication")
        );
        assert_eq!(
            ok(r#"actor.alternateId co "admin""#, s),
            cmp("actor.alternateId", Op::Co, "admin")
        );
    }

    // ---- structure ---------------------------------------------------------------------------------------------

    #[test]
    fn and_binds_tighter_than_or() {
        let (a, b, c) = (eq("a", 1.0), eq("b", 2.0), eq("c", 3.0));
        assert_eq!(
            ok("a eq 1 and b eq 2 or c eq 3", &ANY),
            a.clone().and(b.clone()).or(c.clone())
        );
        assert_eq!(
            ok("a eq 1 or b eq 2 and c eq 3", &ANY),
            a.clone().or(b.clone().and(c.clone()))
        );
        assert_eq!(
            ok("a eq 1 or b eq 2 and c eq 3 or d eq 4", &ANY),
            a.or(b.and(c)).or(eq("d", 4.0))
        );
    }

    #[test]
    fn not_binds_tighter_than_and() {
        let (a, b) = (eq("a", 1.0), eq("b", 2.0));
        assert_eq!(
            ok("not a eq 1 and b eq 2", &ANY),
            (!a.clone()).and(b.clone())
        );
        assert_eq!(ok("b eq 2 or not a eq 1", &ANY), b.clone().or(!a.clone()));
        assert_eq!(
            ok("not (a eq 1 and b eq 2)", &ANY),
            !a.clone().and(b.clone())
        );
        assert_eq!(ok("not not a eq 1", &ANY), !!a.clone());
        assert_eq!(ok("not (not (a eq 1))", &ANY), !!a);
        assert_eq!(ok("not x.y pr", &ANY), !Expr::present("x.y"));
    }

    #[test]
    fn and_and_or_are_left_associative() {
        let (a, b, c) = (eq("a", 1.0), eq("b", 2.0), eq("c", 3.0));
        assert_eq!(
            ok("a eq 1 or b eq 2 or c eq 3", &ANY),
            a.clone().or(b.clone()).or(c.clone())
        );
        assert_eq!(
            ok("a eq 1 and b eq 2 and c eq 3", &ANY),
            a.clone().and(b.clone()).and(c.clone())
        );
        // Parentheses override it.
        assert_eq!(
            ok("a eq 1 or (b eq 2 or c eq 3)", &ANY),
            a.clone().or(b.clone().or(c.clone()))
        );
        assert_eq!(ok("a eq 1 and (b eq 2 and c eq 3)", &ANY), a.and(b.and(c)));
    }

    #[test]
    fn parentheses_group_and_leave_no_trace() {
        let (a, b, c) = (eq("a", 1.0), eq("b", 2.0), eq("c", 3.0));
        assert_eq!(
            ok("(a eq 1 or b eq 2) and c eq 3", &ANY),
            a.clone().or(b.clone()).and(c)
        );
        assert_eq!(ok("((a eq 1))", &ANY), a.clone());
        assert_eq!(ok("(((a eq 1)) or ((b eq 2)))", &ANY), a.or(b));
    }

    #[test]
    fn keywords_and_operators_ignore_case() {
        assert_eq!(
            ok(
                r#"status EQ "ACTIVE" AND id Eq "x" Or lastUpdated gT "2020""#,
                &USER_FILTER
            ),
            eq("status", "ACTIVE")
                .and(eq("id", "x"))
                .or(cmp("lastUpdated", Op::Gt, "2020"))
        );
        assert_eq!(
            ok(r#"NOT (status eQ "ACTIVE")"#, &USER_SEARCH),
            !eq("status", "ACTIVE")
        );
        assert_eq!(
            ok("profile.mobilePhone PR", &USER_SEARCH),
            Expr::present("profile.mobilePhone")
        );
        assert_eq!(
            ok("profile.vip eq TRUE", &USER_SEARCH),
            eq("profile.vip", true)
        );
        assert_eq!(
            ok("profile.vip eq False", &USER_SEARCH),
            eq("profile.vip", false)
        );
        assert_eq!(
            ok("profile.vip eq NULL", &USER_SEARCH),
            eq("profile.vip", Value::Null)
        );
        for op in Op::ALL {
            let upper = op.keyword().to_uppercase();
            assert_eq!(ok(&format!(r#"a {upper} "v""#), &ANY), cmp("a", op, "v"));
        }
    }

    #[test]
    fn attribute_names_are_case_sensitive() {
        assert_refused(
            r#"Status eq "ACTIVE""#,
            &USER_FILTER,
            0,
            r#"unknown attribute "Status" at position 0 (attribute names are case-sensitive; did you mean "status"?)"#,
        );
        assert_refused(
            r#"Profile.firstName eq "Jo""#,
            &USER_SEARCH,
            0,
            r#"unknown attribute "Profile.firstName" at position 0 (attribute names are case-sensitive; did you mean "profile.firstName"?)"#,
        );
        // Case matters after the prefix too: these are different profile attributes.
        assert_eq!(
            ok(r#"profile.FirstName eq "Jo""#, &USER_SEARCH),
            eq("profile.FirstName", "Jo")
        );
    }

    #[test]
    fn whitespace_is_spaces_and_tabs_and_optional_around_punctuation() {
        let expected = eq("a", "x").or(eq("b", "y"));
        for input in [
            r#"a eq "x" or b eq "y""#,
            "  a   eq\t\"x\"\t or\t\tb eq \"y\"   ",
            r#"(a eq "x")or(b eq "y")"#,
            r#"a eq"x"or b eq"y""#,
            "\ta eq \"x\" or b eq \"y\"\t",
        ] {
            assert_eq!(ok(input, &ANY), expected, "input {input:?}");
        }
    }

    // ---- values ----------------------------------------------------------------------------------------------

    #[test]
    fn strings_unescape_quotes_and_backslashes() {
        assert_eq!(ok(r#"a eq "say \"hi\"""#, &ANY), eq("a", r#"say "hi""#));
        assert_eq!(ok(r#"a eq "C:\\dir\\file""#, &ANY), eq("a", r"C:\dir\file"));
        assert_eq!(ok(r#"a eq "\\\"""#, &ANY), eq("a", r#"\""#));
        assert_eq!(ok(r#"a eq """#, &ANY), eq("a", ""));
    }

    #[test]
    fn strings_hide_keywords_and_punctuation() {
        assert_eq!(
            ok(r#"a eq "x) or (b eq \"y\" and not" and b pr"#, &ANY),
            eq("a", r#"x) or (b eq "y" and not"#).and(Expr::present("b"))
        );
        assert_eq!(ok(r#"a eq "  spaced  ""#, &ANY), eq("a", "  spaced  "));
    }

    #[test]
    fn strings_may_hold_any_unicode_and_positions_count_characters() {
        assert_eq!(ok(r#"a eq "Zoë 日本 🙂""#, &ANY), eq("a", "Zoë 日本 🙂"));
        // "日本" is 2 characters but 6 bytes: positions are in characters.
        assert_refused(
            r#"a eq "日本" zz"#,
            &ANY,
            10,
            r#"expected "and", "or" or end of input after "日本" at position 10, found "zz""#,
        );
        assert_refused(
            r#"a eq "ü" and é"#,
            &ANY,
            13,
            r#"unexpected character "é" at position 13"#,
        );
    }

    #[test]
    fn numbers() {
        for (text, n) in [
            ("0", 0.0),
            ("42", 42.0),
            ("-7", -7.0),
            ("3.25", 3.25),
            ("-0.5", -0.5),
            ("1e3", 1000.0),
            ("2.5E-2", 0.025),
            ("1e+2", 100.0),
            ("9007199254740993", 9_007_199_254_740_992.0),
        ] {
            assert_eq!(
                ok(&format!("a gt {text}"), &ANY),
                cmp("a", Op::Gt, n),
                "number {text}"
            );
        }
    }

    #[test]
    fn booleans_and_null() {
        assert_eq!(ok("a eq true", &ANY), eq("a", true));
        assert_eq!(ok("a ne false", &ANY), cmp("a", Op::Ne, false));
        assert_eq!(ok("a eq null", &ANY), eq("a", Value::Null));
        assert_eq!(ok("a ne null", &ANY), cmp("a", Op::Ne, Value::Null));
    }

    #[test]
    fn ordering_operators_take_strings_or_numbers_uninterpreted() {
        assert_eq!(
            ok(r#"a lt "not a date""#, &ANY),
            cmp("a", Op::Lt, "not a date")
        );
        assert_eq!(ok("a le -1.5", &ANY), cmp("a", Op::Le, -1.5));
        assert_refused(
            "a gt true",
            &ANY,
            5,
            r#"operator "gt" needs a string or a number, found "true" at position 5"#,
        );
        assert_refused(
            "a le null",
            &ANY,
            5,
            r#"operator "le" needs a string or a number, found "null" at position 5"#,
        );
    }

    #[test]
    fn substring_operators_take_strings() {
        assert_refused(
            "a sw 12",
            &ANY,
            5,
            r#"operator "sw" needs a string, found 12 at position 5"#,
        );
        assert_refused(
            "a co false",
            &ANY,
            5,
            r#"operator "co" needs a string, found "false" at position 5"#,
        );
        assert_refused(
            "a ew NULL",
            &ANY,
            5,
            r#"operator "ew" needs a string, found "NULL" at position 5"#,
        );
    }

    // ---- lexical errors ----------------------------------------------------------------------------------------

    #[test]
    fn empty_input_is_refused() {
        for input in ["", "   ", "\t \t"] {
            assert_refused(
                input,
                &USER_FILTER,
                0,
                "expected a condition at position 0, but the expression is empty",
            );
        }
    }

    #[test]
    fn unterminated_strings_are_refused() {
        assert_refused(
            r#"status eq "ACTIVE"#,
            &USER_FILTER,
            10,
            "unterminated string starting at position 10",
        );
        // An escaped quote does not close the string, nor does a final lone backslash.
        assert_refused(
            r#"status eq "ACTIVE\""#,
            &USER_FILTER,
            10,
            "unterminated string starting at position 10",
        );
        assert_refused(
            r#"status eq "ACTIVE\"#,
            &USER_FILTER,
            10,
            "unterminated string starting at position 10",
        );
    }

    #[test]
    fn invalid_escapes_are_refused() {
        assert_refused(
            r#"a eq "line\nbreak""#,
            &ANY,
            10,
            r#"invalid escape "\n" in string at position 10; only \" and \\ are allowed"#,
        );
        assert_refused(
            r#"a eq "\u0041""#,
            &ANY,
            6,
            r#"invalid escape "\u" in string at position 6; only \" and \\ are allowed"#,
        );
    }

    #[test]
    fn control_characters_in_strings_are_refused() {
        assert_refused(
            "a eq \"new\nline\"",
            &ANY,
            9,
            "strings must not contain control characters, found U+000A at position 9",
        );
        assert_refused(
            "a eq \"tab\there\"",
            &ANY,
            9,
            "strings must not contain control characters, found U+0009 at position 9",
        );
        assert_refused(
            "a eq \"nul\0\"",
            &ANY,
            9,
            "strings must not contain control characters, found U+0000 at position 9",
        );
        assert_refused(
            "a eq \"del\u{7f}\"",
            &ANY,
            9,
            "strings must not contain control characters, found U+007F at position 9",
        );
        assert_refused(
            "a eq \"esc\\\r\"",
            &ANY,
            10,
            "strings must not contain control characters, found U+000D at position 10",
        );
    }

    #[test]
    fn unexpected_characters_are_refused_with_hints() {
        assert_refused(
            r#"status = "ACTIVE""#,
            &USER_FILTER,
            7,
            r#"unexpected character "=" at position 7; operators are words such as eq, ne, gt or lt"#,
        );
        assert_refused(
            r#"a eq 1 && b eq 2"#,
            &ANY,
            7,
            r#"unexpected character "&" at position 7; combine conditions with "and" and "or""#,
        );
        assert_refused(
            "a eq 'x'",
            &ANY,
            5,
            r#"unexpected character "'" at position 5; strings must be double-quoted"#,
        );
        assert_refused(
            r#"x.emails[type eq "work"]"#,
            &ANY,
            8,
            r#"unexpected character "[" at position 8; filters on complex attributes ([…]) are not supported"#,
        );
        // Only spaces and tabs are whitespace.
        assert_refused(
            "a eq 1\nor b eq 2",
            &ANY,
            6,
            "unexpected character U+000A at position 6",
        );
        assert_refused(
            "a eq 1\u{a0}",
            &ANY,
            6,
            "unexpected character U+00A0 at position 6",
        );
    }

    #[test]
    fn invalid_numbers_are_refused() {
        for (text, hint) in [
            ("12abc", "; strings and timestamps must be double-quoted"),
            (
                "2013-06-01",
                "; strings and timestamps must be double-quoted",
            ),
            (
                "2013-06-01T00",
                "; strings and timestamps must be double-quoted",
            ),
            ("007", ""),
            ("1.", ""),
            (".5", ""),
            ("-", ""),
            ("--1", ""),
            ("1.2.3", ""),
            ("1e", ""),
            ("+1e5", ""),
        ] {
            // `+` cannot start a token, so that case errs on the character instead.
            if text.starts_with('+') {
                assert_refused(
                    &format!("a eq {text}"),
                    &ANY,
                    5,
                    r#"unexpected character "+" at position 5"#,
                );
                continue;
            }
            assert_refused(
                &format!("a eq {text}"),
                &ANY,
                5,
                &format!("invalid number \"{text}\" at position 5{hint}"),
            );
        }
        assert_refused(
            "a eq 1e999",
            &ANY,
            5,
            "number 1e999 at position 5 is out of range",
        );
    }

    // ---- syntax errors -----------------------------------------------------------------------------------------

    #[test]
    fn missing_or_unknown_operator() {
        assert_refused(
            r#"status is "ACTIVE""#,
            &USER_FILTER,
            7,
            r#"expected an operator (eq, gt, ge, lt, le) after "status" at position 7, found "is""#,
        );
        assert_refused(
            r#"status "ACTIVE""#,
            &USER_FILTER,
            7,
            r#"expected an operator (eq, gt, ge, lt, le) after "status" at position 7, found "ACTIVE""#,
        );
        assert_refused(
            "status",
            &USER_FILTER,
            6,
            r#"expected an operator (eq, gt, ge, lt, le) after "status" at position 6, found end of input"#,
        );
        assert_refused(
            "profile.nickName (",
            &USER_SEARCH,
            17,
            r#"expected an operator (eq, ne, gt, ge, lt, le, sw, co, ew, pr) after "profile.nickName" at position 17, found "(""#,
        );
    }

    #[test]
    fn missing_or_unquoted_value() {
        assert_refused(
            "status eq",
            &USER_FILTER,
            9,
            "expected a value (a double-quoted string, a number, true, false or null) after \"eq\" at position 9, \
             found end of input",
        );
        assert_refused(
            "status eq ACTIVE",
            &USER_FILTER,
            10,
            "expected a value (a double-quoted string, a number, true, false or null) after \"eq\" at position 10, \
             found \"ACTIVE\" (strings must be double-quoted)",
        );
        assert_refused(
            r#"status eq ("ACTIVE")"#,
            &USER_FILTER,
            10,
            "expected a value (a double-quoted string, a number, true, false or null) after \"eq\" at position 10, \
             found \"(\"",
        );
    }

    #[test]
    fn present_takes_no_value() {
        assert_refused(
            r#"profile.mobilePhone pr "555""#,
            &USER_SEARCH,
            23,
            r#"operator "pr" takes no value, found "555" at position 23"#,
        );
        assert_refused(
            "a pr 1",
            &ANY,
            5,
            r#"operator "pr" takes no value, found 1 at position 5"#,
        );
        assert_refused(
            "a pr null",
            &ANY,
            5,
            r#"operator "pr" takes no value, found "null" at position 5"#,
        );
    }

    #[test]
    fn conditions_need_an_attribute() {
        assert_refused(
            r#"and status eq "A""#,
            &USER_FILTER,
            0,
            r#"expected an attribute name or "(" at position 0, found "and""#,
        );
        assert_refused(
            r#"eq eq "A""#,
            &USER_SEARCH,
            0,
            r#"expected an attribute name, "(" or "not" at position 0, found "eq""#,
        );
        assert_refused(
            r#""ACTIVE""#,
            &USER_FILTER,
            0,
            r#"expected an attribute name or "(" at position 0, found "ACTIVE""#,
        );
        assert_refused(
            "42 eq a",
            &ANY,
            0,
            r#"expected an attribute name, "(" or "not" at position 0, found 42"#,
        );
        assert_refused(
            r#"status eq "A" and"#,
            &USER_FILTER,
            17,
            r#"expected an attribute name or "(" after "and" at position 17, found end of input"#,
        );
        assert_refused(
            r#"status eq "A" or or id eq "b""#,
            &USER_FILTER,
            17,
            r#"expected an attribute name or "(" after "or" at position 17, found "or""#,
        );
        assert_refused(
            "not",
            &USER_SEARCH,
            3,
            r#"expected an attribute name, "(" or "not" after "not" at position 3, found end of input"#,
        );
        assert_refused(
            "()",
            &USER_FILTER,
            1,
            r#"expected an attribute name or "(" after "(" at position 1, found ")""#,
        );
    }

    #[test]
    fn trailing_tokens_are_refused() {
        assert_refused(
            r#"status eq "A" id eq "b""#,
            &USER_FILTER,
            14,
            r#"expected "and", "or" or end of input after "A" at position 14, found "id""#,
        );
        assert_refused(
            r#"status eq "A" "B""#,
            &USER_FILTER,
            14,
            r#"expected "and", "or" or end of input after "A" at position 14, found "B""#,
        );
        assert_refused(
            r#"a eq 1 not b eq 2"#,
            &ANY,
            7,
            r#"expected "and", "or" or end of input after 1 at position 7, found "not""#,
        );
        assert_refused(
            r#"a eq 1 ("#,
            &ANY,
            7,
            r#"expected "and", "or" or end of input after 1 at position 7, found "(""#,
        );
    }

    #[test]
    fn unbalanced_parentheses_are_refused() {
        assert_refused(
            r#"status eq "A")"#,
            &USER_FILTER,
            13,
            r#"unexpected ")" at position 13 with no matching "(""#,
        );
        assert_refused(
            r#"(status eq "A""#,
            &USER_FILTER,
            14,
            r#"expected ")" at position 14 to close the "(" at position 0, found end of input"#,
        );
        assert_refused(
            r#"((status eq "A") or id eq "b""#,
            &USER_FILTER,
            29,
            r#"expected ")" at position 29 to close the "(" at position 0, found end of input"#,
        );
        assert_refused(
            r#"(status eq "A" id eq "b")"#,
            &USER_FILTER,
            15,
            r#"expected "and", "or" or ")" after "A" at position 15, found "id""#,
        );
    }

    #[test]
    fn malformed_attribute_names_are_refused() {
        assert_refused(
            r#"profile..login eq "x""#,
            &USER_SEARCH,
            8,
            r#"invalid attribute name "profile..login": expected a letter or underscore after "." at position 8"#,
        );
        assert_refused(
            "profile. pr",
            &USER_SEARCH,
            8,
            r#"invalid attribute name "profile.": expected a letter or underscore after "." at position 8"#,
        );
        assert_refused(
            "profile.1st pr",
            &USER_SEARCH,
            8,
            r#"invalid attribute name "profile.1st": expected a letter or underscore after "." at position 8"#,
        );
        // Parts may be up to 64 characters long, but no longer.
        let longest = "n".repeat(MAX_NAME_LEN);
        let name = format!("profile.{longest}");
        assert_eq!(
            ok(&format!("{name} pr"), &USER_SEARCH),
            Expr::present(&name)
        );
        let too_long = format!("profile.{longest}n");
        let error = refused(&format!("{too_long} pr"), &USER_SEARCH);
        assert_eq!(error.position, 8);
        assert_eq!(
            error.message,
            format!(
                "invalid attribute name \"{}…\": the part at position 8 is longer than 64 characters",
                &too_long[..40]
            )
        );
    }

    // ---- schema enforcement ------------------------------------------------------------------------------------

    #[test]
    fn unknown_attributes_are_refused_with_the_allowed_list() {
        assert_refused(
            r#"profile.department eq "Engineering""#,
            &USER_FILTER,
            0,
            r#"unknown attribute "profile.department" at position 0 (allowed: status, lastUpdated, id, profile.login, profile.email, profile.firstName, profile.lastName)"#,
        );
        assert_refused(
            r#"status eq "A" and foo eq "b""#,
            &USER_SEARCH,
            18,
            r#"unknown attribute "foo" at position 18 (allowed: status, id, created, lastUpdated, activated, statusChanged, lastLogin, passwordChanged, type.id, profile.<name>)"#,
        );
        assert_eq!(
            refused(r#"created gt "2020""#, &USER_FILTER).message,
            r#"unknown attribute "created" at position 0 (allowed: status, lastUpdated, id, profile.login, profile.email, profile.firstName, profile.lastName)"#
        );
        assert_eq!(refused(r#"status eq "A""#, &LOG_FILTER).position, 0);
    }

    #[test]
    fn wildcards_accept_exactly_one_sub_name() {
        assert!(USER_SEARCH.allows_attribute("profile.anything_1"));
        assert!(!USER_SEARCH.allows_attribute("profile"));
        assert!(!USER_SEARCH.allows_attribute("profile."));
        assert!(!USER_SEARCH.allows_attribute("profile.a.b"));
        assert!(!USER_SEARCH.allows_attribute("profile.1x"));
        assert!(!USER_SEARCH.allows_attribute("profiles.x"));
        assert!(!USER_SEARCH.allows_attribute("type"));
        assert!(USER_SEARCH.allows_attribute("type.id"));
        assert!(!USER_FILTER.allows_attribute("profile.department"));
        assert!(USER_FILTER.allows_operator(Op::Ge));
        assert!(!USER_FILTER.allows_operator(Op::Sw));
        assert_eq!(refused("profile pr", &USER_SEARCH).position, 0);
        assert_eq!(refused("profile.a.b pr", &USER_SEARCH).position, 0);
    }

    #[test]
    fn operators_outside_the_schema_are_refused() {
        assert_refused(
            r#"profile.firstName sw "Ja""#,
            &USER_FILTER,
            18,
            r#"operator "sw" at position 18 is not supported here (supported: eq, gt, ge, lt, le)"#,
        );
        assert_refused(
            r#"status NE "ACTIVE""#,
            &USER_FILTER,
            7,
            r#"operator "ne" at position 7 is not supported here (supported: eq, gt, ge, lt, le)"#,
        );
        assert_refused(
            "profile.email pr",
            &USER_FILTER,
            14,
            r#"operator "pr" at position 14 is not supported here (supported: eq, gt, ge, lt, le)"#,
        );
        assert_refused(
            r#"eventType gt "user""#,
            &LOG_FILTER,
            10,
            r#"operator "gt" at position 10 is not supported here (supported: eq, sw, co)"#,
        );
        for op in [Op::Ne, Op::Sw, Op::Co, Op::Ew] {
            let input = format!(r#"status {op} "A""#);
            assert!(parse(&input, &USER_SEARCH).is_ok(), "{input}");
            assert!(parse(&input, &USER_FILTER).is_err(), "{input}");
        }
    }

    #[test]
    fn not_outside_the_schema_is_refused() {
        assert_refused(
            r#"not (status eq "ACTIVE")"#,
            &USER_FILTER,
            0,
            r#""not" at position 0 is not supported here"#,
        );
        assert_refused(
            r#"eventType eq "a" and NOT (severity eq "WARN")"#,
            &LOG_FILTER,
            21,
            r#""not" at position 21 is not supported here"#,
        );
    }

    // ---- limits ------------------------------------------------------------------------------------------------

    #[test]
    fn input_longer_than_max_len_is_refused() {
        let prefix = r#"profile.login eq ""#;
        let fill = USER_FILTER.max_len - prefix.len() - 1;
        let longest = format!("{prefix}{}\"", "x".repeat(fill));
        assert_eq!(longest.chars().count(), 2_000);
        assert!(parse(&longest, &USER_FILTER).is_ok());
        let too_long = format!("{prefix}{}\"", "x".repeat(fill + 1));
        assert_refused(
            &too_long,
            &USER_FILTER,
            2_000,
            "expression is too long: at most 2000 characters are allowed",
        );
        // Characters, not bytes: 2,000 two-byte characters fit.
        let wide = format!("{prefix}{}\"", "é".repeat(fill));
        assert!(parse(&wide, &USER_FILTER).is_ok());
        // Huge input is refused without being read.
        assert_eq!(
            refused(&" ".repeat(10_000_000), &USER_SEARCH).position,
            2_000
        );
    }

    #[test]
    fn nesting_up_to_max_depth_is_accepted() {
        let depth = USER_SEARCH.max_depth;
        let input = format!("{}status eq \"A\"{}", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(ok(&input, &USER_SEARCH), eq("status", "A"));
        let nots = format!("{}status eq \"A\"", "not ".repeat(depth));
        assert!(parse(&nots, &USER_SEARCH).is_ok());
        // `not (…)` is two levels.
        let mixed = format!(
            "{}status eq \"A\"{}",
            "not (".repeat(depth / 2),
            ")".repeat(depth / 2)
        );
        assert!(parse(&mixed, &USER_SEARCH).is_ok());
    }

    #[test]
    fn nesting_beyond_max_depth_is_refused() {
        let depth = USER_SEARCH.max_depth + 1;
        assert_refused(
            &format!("{}status eq \"A\"{}", "(".repeat(depth), ")".repeat(depth)),
            &USER_SEARCH,
            20,
            "expression is nested too deeply at position 20: at most 20 levels of parentheses and \"not\" are allowed",
        );
        assert_refused(
            &format!("{}status eq \"A\"", "not ".repeat(depth)),
            &USER_SEARCH,
            80,
            "expression is nested too deeply at position 80: at most 20 levels of parentheses and \"not\" are allowed",
        );
        // Depth is the nesting, not the number of groups: siblings do not add up.
        let siblings = vec![r#"(status eq "A")"#; 50].join(" or ");
        assert!(parse(&siblings, &USER_SEARCH).is_ok());
    }

    #[test]
    fn hostile_nesting_fails_cleanly() {
        let parens = format!("{}a eq 1{}", "(".repeat(10_000), ")".repeat(10_000));
        // The length limit catches it first in the shipped schemas…
        assert_eq!(refused(&parens, &USER_SEARCH).position, 2_000);
        // …and the depth limit when the length limit is lifted, however much depth the schema asks for.
        assert_eq!(refused(&parens, &ANY).position, 20);
        let greedy = Schema {
            max_depth: usize::MAX,
            ..ANY
        };
        let error = refused(&parens, &greedy);
        assert_eq!(error.position, NESTING_CEILING);
        assert!(error.message.contains("at most 64 levels"), "{error}");
        assert_eq!(
            refused(&"(".repeat(10_000), &greedy).position,
            NESTING_CEILING
        );
        assert_eq!(
            refused(&format!("{}a pr", "not ".repeat(10_000)), &greedy).position,
            4 * NESTING_CEILING
        );
        assert_eq!(
            refused(&"not (".repeat(10_000), &greedy).position,
            5 * (NESTING_CEILING / 2)
        );
    }

    #[test]
    fn long_chains_are_built_without_recursion() {
        let terms = 5_000;
        let input = vec!["a eq 1"; terms].join(" or ");
        let expr = parse(&input, &ANY).unwrap();
        let mut leftmost = &expr;
        let mut length = 1;
        while let Expr::Or(left, right) = leftmost {
            assert_eq!(**right, eq("a", 1.0));
            leftmost = left;
            length += 1;
        }
        assert_eq!(length, terms);
        assert_eq!(expr.attributes(), ["a"]);
    }

    // ---- the tree ----------------------------------------------------------------------------------------------

    #[test]
    fn attributes_are_distinct_and_in_order() {
        let expr = ok(
            r#"profile.department eq "E" and (status eq "A" or not (profile.department pr) or id eq "x") and status ne "B""#,
            &USER_SEARCH,
        );
        assert_eq!(expr.attributes(), ["profile.department", "status", "id"]);
        assert_eq!(ok("a pr", &ANY).attributes(), ["a"]);
    }

    #[test]
    fn display_is_canonical() {
        for (input, canonical) in [
            (r#"STATUS_x eq "A""#, ""),
            ("a EQ 1 AND b Pr", "a eq 1 and b pr"),
            (
                "(a eq 1 or b eq 2) and c eq 3",
                "(a eq 1 or b eq 2) and c eq 3",
            ),
            (
                "a eq 1 or (b eq 2 or c eq 3)",
                "a eq 1 or (b eq 2 or c eq 3)",
            ),
            (
                "((a eq 1 or b eq 2)) or c eq 3",
                "a eq 1 or b eq 2 or c eq 3",
            ),
            (
                "a eq 1 and (b eq 2 and c eq 3)",
                "a eq 1 and (b eq 2 and c eq 3)",
            ),
            (
                "(a eq 1 and b eq 2) or c eq 3",
                "a eq 1 and b eq 2 or c eq 3",
            ),
            ("not a eq 1", "not (a eq 1)"),
            ("NOT  NOT (a pr)", "not (not (a pr))"),
            (
                "not (a eq 1 or b eq 2) and c eq 3",
                "not (a eq 1 or b eq 2) and c eq 3",
            ),
            (r#"a eq "q\"b\\s""#, r#"a eq "q\"b\\s""#),
            ("a eq 1e3 or a gt -0.25", "a eq 1000 or a gt -0.25"),
            ("a eq TRUE and b eq Null", "a eq true and b eq null"),
        ] {
            if canonical.is_empty() {
                assert!(parse(input, &ANY).is_err());
                continue;
            }
            assert_eq!(ok(input, &ANY).to_string(), canonical, "input {input:?}");
        }
    }

    #[test]
    fn builders_and_display_of_parts() {
        assert_eq!(Op::from_keyword("Sw"), Some(Op::Sw));
        assert_eq!(Op::from_keyword("pr"), None);
        assert_eq!(Op::from_keyword("equals"), None);
        assert_eq!(
            Op::ALL.map(Op::keyword).join(" "),
            "eq ne gt ge lt le sw co ew"
        );
        assert!(
            Op::Ge.is_ordering()
                && !Op::Eq.is_ordering()
                && Op::Ew.is_substring()
                && !Op::Lt.is_substring()
        );
        assert_eq!(Value::from("a\"b").to_string(), r#""a\"b""#);
        assert_eq!(Value::from(String::from("s")), Value::String("s".into()));
        assert_eq!(Value::from(2.5).to_string(), "2.5");
        assert_eq!(Value::from(false).to_string(), "false");
        assert_eq!(Value::Null.to_string(), "null");
        assert_eq!(
            (!Expr::present("x.y"))
                .or(eq("a", 1.0).and(cmp("b", Op::Co, "z")))
                .to_string(),
            r#"not (x.y pr) or a eq 1 and b co "z""#
        );
    }

    #[test]
    fn error_is_a_std_error() {
        let error: Box<dyn std::error::Error> = Box::new(refused("", &ANY));
        assert!(error.to_string().contains("empty"));
    }

    // ---- robustness --------------------------------------------------------------------------------------------

    /// Random sequences of plausible and implausible fragments never panic; accepted ones are well-formed and
    /// round-trip; refused ones point inside the input.
    #[test]
    fn random_input_never_panics() {
        // Whole conditions and connectors, so that some inputs parse, mixed with pieces that break them.
        #[rustfmt::skip]
        const FRAGMENTS: &[&str] = &[
            "a eq 1", "x.y pr", "b sw \"s\"", "c NE null", "d gt -2.5", "e eq \"q\\\"\"",
            " and ", " OR ", "not ", "(", ")", " ", "\t",
            "a", "x.", "profile", "eq", "pr", "and", "\"", "\\", "1e", "true", "=", "é", "..", "日", "\n",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |bound: usize| {
            // xorshift64*: deterministic, dependency-free.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound
        };
        let mut accepted = 0;
        for _ in 0..20_000 {
            let input: String = (0..next(16))
                .map(|_| FRAGMENTS[next(FRAGMENTS.len())])
                .collect();
            match parse(&input, &ANY) {
                Ok(expr) => {
                    accepted += 1;
                    assert!(
                        expr.attributes().iter().all(|a| ANY.allows_attribute(a)),
                        "{input:?}"
                    );
                    assert_eq!(
                        parse(&expr.to_string(), &ANY).as_ref(),
                        Ok(&expr),
                        "{input:?}"
                    );
                }
                Err(error) => {
                    assert!(
                        error.position <= input.chars().count(),
                        "{input:?}: {error}"
                    );
                    assert!(
                        error
                            .message
                            .contains(&format!("position {}", error.position)),
                        "{input:?}: {error}"
                    );
                }
            }
        }
        assert!(accepted > 100, "only {accepted} inputs parsed");
    }
}
