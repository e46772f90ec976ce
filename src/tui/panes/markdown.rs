//! The answer's text as the answer pane draws it: paragraphs word-wrapped,
//! fenced code blocks kept as they are and highlighted — LogQL by our own
//! lexer (the grammar the editor and the parser use), JSON, shell and the
//! other languages syntect knows by syntect (its pure-Rust regex engine).
//! Highlighting happens once when the text is set, never while drawing.

use std::sync::OnceLock;

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::ThemeSet;
use syntect::parsing::SyntaxSet;

use super::answer::word_wrap;
use crate::tui::highlight::{self, Class};
use crate::tui::theme::Theme;

/// How a piece of code is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hl {
    Plain,
    Rgb(u8, u8, u8),
    Class(Class),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Text(String),
    /// A fenced block: its language and its lines as highlighted pieces.
    Code { lang: String, lines: Vec<Vec<(Hl, String)>> },
    /// A `~~~reasoning` block: a model's thoughts, wrapped and dim.
    Aside(String),
}

/// The fence language of an [`Block::Aside`].
pub const ASIDE: &str = "reasoning";

/// `text` as an aside block (a line that would close the fence is escaped).
pub fn aside(text: &str) -> String {
    let body: Vec<String> =
        text.lines().map(|l| if l.trim_start().starts_with("~~~") { format!("\u{200b}{l}") } else { l.to_owned() }).collect();
    format!("~~~{ASIDE}\n{}\n~~~\n", body.join("\n"))
}

fn syntect() -> &'static (SyntaxSet, ThemeSet) {
    static SETS: OnceLock<(SyntaxSet, ThemeSet)> = OnceLock::new();
    SETS.get_or_init(|| (SyntaxSet::load_defaults_newlines(), ThemeSet::load_defaults()))
}

fn clean(s: &str) -> String {
    crate::terminal::sanitize(s).replace('\t', "    ")
}

/// Highlights `code` (lines without their ends) in `lang`.
pub fn highlight_code(lang: &str, code: &[&str]) -> Vec<Vec<(Hl, String)>> {
    let lang = lang.trim().to_ascii_lowercase();
    if lang == "logql" {
        return code
            .iter()
            .map(|l| {
                let l = clean(l);
                let mut out = Vec::new();
                let mut at = 0;
                for (r, c) in highlight::classes(&l) {
                    if r.start > at {
                        out.push((Hl::Plain, l[at..r.start].to_owned()));
                    }
                    out.push((Hl::Class(c), l[r.clone()].to_owned()));
                    at = r.end;
                }
                if at < l.len() {
                    out.push((Hl::Plain, l[at..].to_owned()));
                }
                out
            })
            .collect();
    }
    let plain = || code.iter().map(|l| vec![(Hl::Plain, clean(l))]).collect();
    let token = match lang.as_str() {
        "" | "text" | "txt" => return plain(),
        "shell" | "console" | "bash" | "zsh" => "sh",
        other => other,
    };
    let (ss, ts) = syntect();
    let (Some(syntax), Some(theme)) = (ss.find_syntax_by_token(token), ts.themes.get("base16-ocean.dark")) else {
        return plain();
    };
    let mut h = HighlightLines::new(syntax, theme);
    let mut out = Vec::with_capacity(code.len());
    for l in code {
        let l = clean(l);
        let with_end = format!("{l}\n");
        match h.highlight_line(&with_end, ss) {
            Ok(pieces) => out.push(
                pieces
                    .into_iter()
                    .map(|(s, t)| (Hl::Rgb(s.foreground.r, s.foreground.g, s.foreground.b), t.trim_end_matches('\n').to_owned()))
                    .filter(|(_, t)| !t.is_empty())
                    .collect(),
            ),
            Err(_) => out.push(vec![(Hl::Plain, l)]),
        }
    }
    out
}

/// Splits Markdown into paragraphs and fenced code blocks (``` or ~~~; an
/// unclosed fence runs to the end, as while an answer streams in).
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        let fence = if t.starts_with("```") { "```" } else if t.starts_with("~~~") { "~~~" } else { "" };
        if fence.is_empty() {
            para.push(line);
            continue;
        }
        if !para.is_empty() {
            blocks.push(Block::Text(para.iter().map(|l| clean(l)).collect::<Vec<_>>().join("\n")));
            para.clear();
        }
        let lang = t.trim_start_matches(fence).split_whitespace().next().unwrap_or("").to_owned();
        let mut code = Vec::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with(fence) {
                break;
            }
            code.push(l);
        }
        if lang == ASIDE {
            blocks.push(Block::Aside(code.iter().map(|l| clean(l)).collect::<Vec<_>>().join("\n")));
            continue;
        }
        blocks.push(Block::Code { lines: highlight_code(&lang, &code), lang });
    }
    if !para.is_empty() {
        blocks.push(Block::Text(para.iter().map(|l| clean(l)).collect::<Vec<_>>().join("\n")));
    }
    blocks
}

fn style(h: Hl, theme: Theme) -> Style {
    match (h, theme.no_color) {
        (Hl::Plain, _) => Style::new(),
        (Hl::Class(c), _) => theme.syntax(c),
        (Hl::Rgb(..), true) => Style::new(),
        (Hl::Rgb(r, g, b), false) => Style::new().fg(Color::Rgb(r, g, b)),
    }
}

/// Screen rows of the blocks at `width` columns.
pub fn render(blocks: &[Block], width: usize, theme: Theme) -> Vec<Line<'static>> {
    let width = width.max(3);
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Block::Text(t) => out.extend(word_wrap(t, width).into_iter().map(Line::from)),
            Block::Aside(t) => out.extend(word_wrap(t, width).into_iter().map(|r| Line::styled(r, theme.dim()))),
            Block::Code { lines, .. } => {
                for l in lines {
                    // Code is cut, not wrapped, after a gutter.
                    let mut spans = vec![Span::styled("│ ", theme.dim())];
                    let mut room = width - 2;
                    for (h, t) in l {
                        if room == 0 {
                            break;
                        }
                        let piece: String = t.chars().take(room).collect();
                        room -= piece.chars().count();
                        spans.push(Span::styled(piece, style(*h, theme)));
                    }
                    out.push(Line::from(spans));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_split_text_and_code() {
        let md = "Deleted most:\n```logql\nsum(count_over_time({app=\"hdfs\"}[1h]))\n```\nthen\n~~~json\n{\"a\": 1}\n~~~\n```sh\nlogcopilot query '{app=\"x\"}'\n";
        let b = parse(md);
        assert_eq!(b.len(), 5, "{b:?}");
        assert_eq!(b[0], Block::Text("Deleted most:".into()));
        let Block::Code { lang, lines } = &b[1] else { panic!() };
        assert_eq!(lang, "logql");
        assert!(lines[0].contains(&(Hl::Class(Class::Function), "sum".into())), "{lines:?}");
        let Block::Code { lang, lines } = &b[3] else { panic!() };
        assert_eq!(lang, "json");
        assert!(lines[0].iter().filter(|(h, _)| matches!(h, Hl::Rgb(..))).map(|(h, _)| h).collect::<std::collections::HashSet<_>>().len() > 1, "JSON gets several colours: {lines:?}");
        let Block::Code { lang, lines } = &b[4] else { panic!("an unclosed fence runs to the end") };
        assert_eq!(lang, "sh");
        assert_eq!(lines[0].iter().map(|(_, t)| t.as_str()).collect::<String>(), "logcopilot query '{app=\"x\"}'");
    }

    #[test]
    fn an_aside_is_dim_wrapped_text_even_with_fences_inside() {
        let md = format!("{}The answer.", aside("I think\n```logql\n{x}\n```\n~~~ a tilde fence\nend"));
        let b = parse(&md);
        assert_eq!(b.len(), 2, "{b:?}");
        let Block::Aside(t) = &b[0] else { panic!("{b:?}") };
        assert!(t.contains("{x}") && t.contains("a tilde fence") && t.ends_with("end"), "{t}");
        assert_eq!(b[1], Block::Text("The answer.".into()));
        let rows = render(&b, 40, Theme::new(false));
        assert_eq!(rows[0].style, Theme::new(false).dim());
        assert_ne!(rows.last().unwrap().style, Theme::new(false).dim());
    }

    #[test]
    fn escapes_are_stripped_and_code_is_cut() {
        let b = parse("a \x1b[31mred\x1b[0m\n```\nx\x1b]0;t\x07y and a long line of code\n```");
        assert_eq!(b[0], Block::Text("a red".into()));
        let rows = render(&b, 10, Theme::new(true));
        let text: Vec<String> = rows.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect();
        assert_eq!(text, ["a red", "│ xy and a"]);
        assert!(rows.iter().flat_map(|l| &l.spans).all(|s| s.style.fg.is_none()), "NO_COLOR: no colours");
    }
}
