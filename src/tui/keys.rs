//! The key map: `[ui.keys]` turned into terminal key events and the
//! [`Action`]s they stand for, and the help lines generated from it.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Scroll};
use crate::config::{KeyChord, KeyName, KeysConfig};

/// Bindings from keys to actions, in the order of the help.
#[derive(Debug, Clone)]
pub struct KeyMap {
    bindings: Vec<(KeyChord, Action)>,
}

fn action_of(name: &str) -> Option<Action> {
    Some(match name {
        "quit" => Action::Quit,
        "help" => Action::ToggleHelp,
        "focus_next" => Action::FocusNext,
        "focus_prev" => Action::FocusPrev,
        "run_query" => Action::RunQuery,
        "cancel" => Action::Cancel,
        "index" => Action::OpenIndex,
        "time_range" => Action::TimeRange,
        "toggle_view" => Action::ToggleView,
        "zoom" => Action::Zoom,
        "export" => Action::Export,
        "copy_logql" => Action::CopyLogql,
        "insert_template" => Action::InsertTemplate,
        "mark" => Action::Mark,
        "analyze" => Action::Analyze,
        "scan" => Action::OpenScan,
        "next_part" => Action::NextPart,
        "prev_part" => Action::PrevPart,
        "reasoning" => Action::ToggleReasoning,
        "follow" => Action::Follow,
        "scroll_up" => Action::Scroll(Scroll::Up(1)),
        "scroll_down" => Action::Scroll(Scroll::Down(1)),
        "page_up" => Action::Scroll(Scroll::PageUp),
        "page_down" => Action::Scroll(Scroll::PageDown),
        "top" => Action::Scroll(Scroll::Top),
        "bottom" => Action::Scroll(Scroll::Bottom),
        _ => return None,
    })
}

impl KeyMap {
    /// From the config (already checked by `Config::validate`; a key that
    /// still does not parse is skipped).
    pub fn new(cfg: &KeysConfig) -> KeyMap {
        let mut bindings = Vec::new();
        for (name, keys) in cfg.entries() {
            let Some(action) = action_of(name) else { continue };
            for k in keys {
                if let Ok(chord) = KeyChord::parse(k) {
                    bindings.push((chord, action.clone()));
                }
            }
        }
        KeyMap { bindings }
    }

    /// The action for a key. `typing`: the focus is on a text field, where
    /// plain characters are text and pane-local keys (arrows, paging) edit.
    pub fn lookup(&self, key: &KeyEvent, typing: bool) -> Option<Action> {
        let chord = chord_of(key)?;
        let (_, action) = self.bindings.iter().find(|(c, _)| *c == chord)?;
        if typing && (chord.is_text() || action.is_pane_local()) {
            return None;
        }
        Some(action.clone())
    }

    /// The keys bound to an action, joined for display (`Ctrl-R`, `F1/?`).
    pub fn keys_for(&self, action: &Action) -> String {
        let keys: Vec<String> =
            self.bindings.iter().filter(|(_, a)| a == action).map(|(c, _)| c.to_string()).collect();
        keys.join("/")
    }

    /// The shortest key for an action that works where the focus is
    /// (`typing`: no plain characters), for the status bar.
    pub fn key_for(&self, action: &Action, typing: bool) -> Option<String> {
        self.bindings
            .iter()
            .filter(|(c, a)| a == action && !(typing && (c.is_text() || a.is_pane_local())))
            .map(|(c, _)| c.to_string())
            .min_by_key(|k| k.chars().count())
    }

    /// `(keys, what it does)` per action, in the config's order.
    pub fn help_lines(&self) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        let mut seen: Vec<&Action> = Vec::new();
        for (_, a) in &self.bindings {
            if seen.contains(&a) {
                continue;
            }
            seen.push(a);
            out.push((self.keys_for(a), a.describe()));
        }
        out
    }
}

/// A terminal key event as a [`KeyChord`] (releases are ignored).
pub fn chord_of(key: &KeyEvent) -> Option<KeyChord> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let m = key.modifiers;
    let ctrl = m.contains(KeyModifiers::CONTROL);
    let alt = m.contains(KeyModifiers::ALT);
    let shift = m.contains(KeyModifiers::SHIFT);
    let (name, shift) = match key.code {
        KeyCode::Char(c) if ctrl || alt => (KeyName::Char(c.to_ascii_lowercase()), false),
        KeyCode::Char(c) => (KeyName::Char(c), false),
        KeyCode::F(n) => (KeyName::F(n), shift),
        KeyCode::Enter => (KeyName::Enter, shift),
        KeyCode::Esc => (KeyName::Esc, shift),
        KeyCode::Tab if shift => (KeyName::BackTab, false),
        KeyCode::Tab => (KeyName::Tab, false),
        KeyCode::BackTab => (KeyName::BackTab, false),
        KeyCode::Backspace => (KeyName::Backspace, shift),
        KeyCode::Delete => (KeyName::Delete, shift),
        KeyCode::Insert => (KeyName::Insert, shift),
        KeyCode::Up => (KeyName::Up, shift),
        KeyCode::Down => (KeyName::Down, shift),
        KeyCode::Left => (KeyName::Left, shift),
        KeyCode::Right => (KeyName::Right, shift),
        KeyCode::Home => (KeyName::Home, shift),
        KeyCode::End => (KeyName::End, shift),
        KeyCode::PageUp => (KeyName::PageUp, shift),
        KeyCode::PageDown => (KeyName::PageDown, shift),
        _ => return None,
    };
    Some(KeyChord { key: name, ctrl, alt, shift })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn keys_map_to_actions_by_focus() {
        let km = KeyMap::new(&KeysConfig::default());
        let ctrl_r = ev(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(km.lookup(&ctrl_r, true), Some(Action::RunQuery));
        assert_eq!(km.lookup(&ctrl_r, false), Some(Action::RunQuery));
        let q = ev(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.lookup(&q, true), None, "q is text in an editor");
        assert_eq!(km.lookup(&q, false), Some(Action::Quit));
        // `?` arrives with SHIFT from most terminals.
        let help = ev(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(km.lookup(&help, false), Some(Action::ToggleHelp));
        let up = ev(KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(km.lookup(&up, true), None, "arrows move the cursor in an editor");
        assert_eq!(km.lookup(&up, false), Some(Action::Scroll(Scroll::Up(1))));
        let big_g = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.lookup(&big_g, false), Some(Action::Scroll(Scroll::Bottom)));
        let backtab = ev(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(km.lookup(&backtab, true), Some(Action::FocusPrev));
        let alt_g = ev(KeyCode::Char('g'), KeyModifiers::ALT);
        assert_eq!(km.lookup(&alt_g, true), None, "pane-local even with alt while typing");
        assert_eq!(km.lookup(&alt_g, false), Some(Action::ToggleView));
        let mut release = ctrl_r;
        release.kind = KeyEventKind::Release;
        assert_eq!(km.lookup(&release, false), None);
    }

    #[test]
    fn config_rebinds_and_help_follows() {
        let cfg = KeysConfig { run_query: vec!["f5".into()], ..Default::default() };
        let km = KeyMap::new(&cfg);
        assert_eq!(km.lookup(&ev(KeyCode::F(5), KeyModifiers::NONE), true), Some(Action::RunQuery));
        assert_eq!(km.lookup(&ev(KeyCode::Char('r'), KeyModifiers::CONTROL), true), None);
        let help = km.help_lines();
        assert_eq!(help[0], ("F5".to_string(), "run the LogQL"));
        assert!(help.iter().any(|(k, d)| k == "F1/?" && *d == "show or hide this help"));
        assert_eq!(km.keys_for(&Action::Quit), "Ctrl-C/q");
        assert_eq!(km.key_for(&Action::Quit, false).as_deref(), Some("q"));
        assert_eq!(km.key_for(&Action::Quit, true).as_deref(), Some("Ctrl-C"), "q types a q in an editor");
        assert_eq!(km.key_for(&Action::ToggleHelp, true).as_deref(), Some("F1"));
    }
}
