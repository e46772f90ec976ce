//! `[ui.keys]`: the TUI's key bindings as data. Each action takes a list of
//! keys written like `"ctrl-r"`, `"f1"`, `"?"`, `"shift-tab"`; this module
//! holds the defaults and parses and checks the key strings (the TUI turns
//! them into terminal key events).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Key bindings per action. A key written as a plain character (`q`, `?`,
/// `v`) works only where no text is being typed (results, knowledge,
/// answer); keys with `ctrl-`/`alt-` or named keys work everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeysConfig {
    pub quit: Vec<String>,
    pub help: Vec<String>,
    pub focus_next: Vec<String>,
    pub focus_prev: Vec<String>,
    pub run_query: Vec<String>,
    pub cancel: Vec<String>,
    pub index: Vec<String>,
    pub time_range: Vec<String>,
    pub toggle_view: Vec<String>,
    pub zoom: Vec<String>,
    pub export: Vec<String>,
    pub copy_logql: Vec<String>,
    pub insert_template: Vec<String>,
    /// Results: mark or unmark the selected log line (for an analysis).
    pub mark: Vec<String>,
    /// Results: analyse the marked lines (or all) with the model.
    pub analyze: Vec<String>,
    /// The anomaly scan screen.
    pub scan: Vec<String>,
    /// Answer pane: the next or previous part of an analysis.
    pub next_part: Vec<String>,
    pub prev_part: Vec<String>,
    /// Answer pane: expand or fold the model's reasoning.
    pub reasoning: Vec<String>,
    /// Index the app, then keep indexing what is appended (the indexing screen).
    pub follow: Vec<String>,
    pub scroll_up: Vec<String>,
    pub scroll_down: Vec<String>,
    pub page_up: Vec<String>,
    pub page_down: Vec<String>,
    pub top: Vec<String>,
    pub bottom: Vec<String>,
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for KeysConfig {
    fn default() -> Self {
        KeysConfig {
            quit: keys(&["ctrl-c", "q"]),
            help: keys(&["f1", "?"]),
            focus_next: keys(&["tab"]),
            focus_prev: keys(&["backtab"]),
            run_query: keys(&["ctrl-r"]),
            cancel: keys(&["esc"]),
            index: keys(&["ctrl-g"]),
            time_range: keys(&["ctrl-t"]),
            toggle_view: keys(&["alt-g", "v"]),
            zoom: keys(&["alt-z", "z"]),
            export: keys(&["ctrl-s"]),
            copy_logql: keys(&["alt-c"]),
            insert_template: keys(&["i"]),
            mark: keys(&["m"]),
            analyze: keys(&["a"]),
            scan: keys(&["ctrl-o"]),
            next_part: keys(&["n"]),
            prev_part: keys(&["p"]),
            reasoning: keys(&["r"]),
            follow: keys(&["f"]),
            scroll_up: keys(&["up", "k"]),
            scroll_down: keys(&["down", "j"]),
            page_up: keys(&["pageup"]),
            page_down: keys(&["pagedown", "space"]),
            top: keys(&["home", "g"]),
            bottom: keys(&["end", "G"]),
        }
    }
}

impl KeysConfig {
    /// Every action with its config name and keys, in the order of the help.
    pub fn entries(&self) -> [(&'static str, &[String]); 26] {
        [
            ("run_query", &self.run_query),
            ("cancel", &self.cancel),
            ("time_range", &self.time_range),
            ("focus_next", &self.focus_next),
            ("focus_prev", &self.focus_prev),
            ("toggle_view", &self.toggle_view),
            ("zoom", &self.zoom),
            ("insert_template", &self.insert_template),
            ("mark", &self.mark),
            ("analyze", &self.analyze),
            ("scan", &self.scan),
            ("next_part", &self.next_part),
            ("prev_part", &self.prev_part),
            ("reasoning", &self.reasoning),
            ("index", &self.index),
            ("follow", &self.follow),
            ("export", &self.export),
            ("copy_logql", &self.copy_logql),
            ("scroll_up", &self.scroll_up),
            ("scroll_down", &self.scroll_down),
            ("page_up", &self.page_up),
            ("page_down", &self.page_down),
            ("top", &self.top),
            ("bottom", &self.bottom),
            ("help", &self.help),
            ("quit", &self.quit),
        ]
    }

    /// Checks every key string, and that no key is bound twice; the error
    /// names the action (`ui.keys.<action>`) and says what is wrong.
    pub fn check(&self) -> Result<(), (String, String)> {
        let mut seen: Vec<(KeyChord, &str)> = Vec::new();
        for (action, list) in self.entries() {
            for k in list {
                let chord = KeyChord::parse(k).map_err(|e| (format!("ui.keys.{action}"), e))?;
                if let Some((_, other)) = seen.iter().find(|(c, _)| *c == chord) {
                    return Err((format!("ui.keys.{action}"), format!("key {k:?} is already bound to {other}")));
                }
                seen.push((chord, action));
            }
        }
        Ok(())
    }
}

/// A key without its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyName {
    /// A printable character, as typed (`'G'` for shift-g).
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

/// A key with modifiers: what one binding means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub key: KeyName,
    pub ctrl: bool,
    pub alt: bool,
    /// Only for named keys; a character carries its case itself.
    pub shift: bool,
}

const NAMES: &[(&str, KeyName)] = &[
    ("enter", KeyName::Enter),
    ("return", KeyName::Enter),
    ("esc", KeyName::Esc),
    ("escape", KeyName::Esc),
    ("tab", KeyName::Tab),
    ("backtab", KeyName::BackTab),
    ("backspace", KeyName::Backspace),
    ("delete", KeyName::Delete),
    ("del", KeyName::Delete),
    ("insert", KeyName::Insert),
    ("up", KeyName::Up),
    ("down", KeyName::Down),
    ("left", KeyName::Left),
    ("right", KeyName::Right),
    ("home", KeyName::Home),
    ("end", KeyName::End),
    ("pageup", KeyName::PageUp),
    ("pagedown", KeyName::PageDown),
    ("space", KeyName::Char(' ')),
    ("minus", KeyName::Char('-')),
];

impl KeyChord {
    /// Parses `ctrl-r`, `alt-g`, `shift-tab`, `f5`, `pagedown`, `?`, `G`, `-`.
    /// Modifiers and names are case-insensitive; a single character is taken
    /// as typed (`G` is shift-g); `ctrl-R` is `ctrl-r`.
    pub fn parse(s: &str) -> Result<KeyChord, String> {
        let bad = |why: &str| format!("cannot read key {s:?}: {why} (write keys like \"ctrl-r\", \"alt-g\", \"f1\", \"pagedown\", \"?\")");
        if s.is_empty() {
            return Err(bad("empty"));
        }
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = s;
        loop {
            // A single character is the key itself, even `-`.
            if rest.chars().count() == 1 {
                break;
            }
            let Some((m, tail)) = rest.split_once('-') else { break };
            match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => ctrl = true,
                "alt" | "meta" => alt = true,
                "shift" => shift = true,
                _ => return Err(bad(&format!("unknown modifier {m:?}"))),
            }
            if tail.is_empty() {
                return Err(bad("a modifier needs a key after it"));
            }
            rest = tail;
        }
        let mut chars = rest.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                if ctrl || alt {
                    // ctrl-R and ctrl-r are the same key on a terminal.
                    KeyName::Char(c.to_ascii_lowercase())
                } else if shift {
                    shift = false;
                    KeyName::Char(c.to_ascii_uppercase())
                } else {
                    KeyName::Char(c)
                }
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    if !(1..=24).contains(&n) {
                        return Err(bad("function keys are f1 to f24"));
                    }
                    KeyName::F(n)
                } else if let Some((_, k)) = NAMES.iter().find(|(n, _)| *n == lower) {
                    *k
                } else {
                    return Err(bad(&format!("unknown key name {rest:?}")));
                }
            }
        };
        // shift-tab is how terminals send backtab.
        let key = match (key, shift) {
            (KeyName::Tab, true) => {
                shift = false;
                KeyName::BackTab
            }
            (k, _) => k,
        };
        if let KeyName::Char(_) = key {
            shift = false;
        }
        Ok(KeyChord { key, ctrl, alt, shift })
    }

    /// A plain printable character with no ctrl/alt: typed text in an editor.
    pub fn is_text(&self) -> bool {
        matches!(self.key, KeyName::Char(_)) && !self.ctrl && !self.alt
    }
}

impl fmt::Display for KeyChord {
    /// `Ctrl-R`, `Alt-G`, `F1`, `PgDn`, `?`, `Space`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        if self.shift {
            f.write_str("Shift-")?;
        }
        match self.key {
            KeyName::Char(' ') => f.write_str("Space"),
            KeyName::Char(c) if self.ctrl || self.alt => write!(f, "{}", c.to_ascii_uppercase()),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::F(n) => write!(f, "F{n}"),
            KeyName::Enter => f.write_str("Enter"),
            KeyName::Esc => f.write_str("Esc"),
            KeyName::Tab => f.write_str("Tab"),
            KeyName::BackTab => f.write_str("Shift-Tab"),
            KeyName::Backspace => f.write_str("Backspace"),
            KeyName::Delete => f.write_str("Del"),
            KeyName::Insert => f.write_str("Ins"),
            KeyName::Up => f.write_str("↑"),
            KeyName::Down => f.write_str("↓"),
            KeyName::Left => f.write_str("←"),
            KeyName::Right => f.write_str("→"),
            KeyName::Home => f.write_str("Home"),
            KeyName::End => f.write_str("End"),
            KeyName::PageUp => f.write_str("PgUp"),
            KeyName::PageDown => f.write_str("PgDn"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> KeyChord {
        KeyChord::parse(s).unwrap()
    }

    #[test]
    fn parses_modifiers_names_and_characters() {
        assert_eq!(k("ctrl-r"), KeyChord { key: KeyName::Char('r'), ctrl: true, alt: false, shift: false });
        assert_eq!(k("Ctrl-R"), k("ctrl-r"));
        assert_eq!(k("alt-g"), KeyChord { key: KeyName::Char('g'), ctrl: false, alt: true, shift: false });
        assert_eq!(k("f1").key, KeyName::F(1));
        assert_eq!(k("F12").key, KeyName::F(12));
        assert_eq!(k("PageDown").key, KeyName::PageDown);
        assert_eq!(k("?").key, KeyName::Char('?'));
        assert_eq!(k("-").key, KeyName::Char('-'));
        assert_eq!(k("ctrl--").key, KeyName::Char('-'));
        assert_eq!(k("G").key, KeyName::Char('G'));
        assert_eq!(k("shift-g"), k("G"));
        assert_eq!(k("shift-tab"), k("backtab"));
        assert_eq!(k("space").key, KeyName::Char(' '));
        assert!(k("q").is_text());
        assert!(!k("ctrl-q").is_text());
        assert!(!k("f1").is_text());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in ["", "ctrl-", "hyper-x", "f0", "f99", "pgdn2", "ctrl-alt-", "\u{7}"] {
            let e = KeyChord::parse(bad).unwrap_err();
            assert!(e.contains("cannot read key"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn displays_for_the_help() {
        assert_eq!(k("ctrl-r").to_string(), "Ctrl-R");
        assert_eq!(k("alt-g").to_string(), "Alt-G");
        assert_eq!(k("backtab").to_string(), "Shift-Tab");
        assert_eq!(k("space").to_string(), "Space");
        assert_eq!(k("?").to_string(), "?");
    }

    #[test]
    fn defaults_are_valid_and_distinct() {
        KeysConfig::default().check().unwrap();
        let mut c = KeysConfig::default();
        c.export.push("ctrl-r".into());
        let (key, msg) = c.check().unwrap_err();
        assert_eq!(key, "ui.keys.export");
        assert!(msg.contains("already bound to run_query"), "{msg}");
        let mut c = KeysConfig::default();
        c.zoom = vec!["ctrl-".into()];
        assert_eq!(c.check().unwrap_err().0, "ui.keys.zoom");
    }
}
