//! `Action`: the one currency of the TUI. Keys become actions through the
//! key map, panes return actions, and the app turns actions into state
//! changes and jobs for the worker.

/// Where scrolling goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    Up(usize),
    Down(usize),
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// Something the app should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    ToggleHelp,
    FocusNext,
    FocusPrev,
    Focus(super::app::PaneId),
    /// Run the LogQL in the editor.
    RunQuery,
    /// Cancel the running job, or close what is open.
    Cancel,
    /// Open the indexing screen (and start indexing).
    OpenIndex,
    /// Edit the time range and limit.
    TimeRange,
    /// Chart or table for metric results.
    ToggleView,
    /// The focused pane alone on the screen.
    Zoom,
    /// Write the session as Markdown.
    Export,
    /// Copy the LogQL to the clipboard (OSC 52).
    CopyLogql,
    /// Knowledge: put the selected template's LogQL into the editor.
    InsertTemplate,
    Scroll(Scroll),
    /// A question was submitted in the question pane.
    Ask(String),
    /// Replace the editor's text.
    SetLogql(String),
    /// Results: mark or unmark the selected log line.
    Mark,
    /// Analyse the marked log lines (or all shown) with the model.
    Analyze,
    /// Open the anomaly scan screen.
    OpenScan,
    /// The next or previous part of an analysis.
    NextPart,
    PrevPart,
    /// Answer pane: expand or fold the model's reasoning.
    ToggleReasoning,
    /// Index the app, then keep indexing what is appended to its log.
    Follow,
}

impl Action {
    /// Whether the action acts on the focused pane only (scrolling and the
    /// like), as opposed to the whole app.
    pub fn is_pane_local(&self) -> bool {
        matches!(self, Action::Scroll(_) | Action::ToggleView | Action::InsertTemplate | Action::Mark | Action::Analyze | Action::NextPart | Action::PrevPart | Action::ToggleReasoning)
    }

    /// What the help says it does.
    pub fn describe(&self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::ToggleHelp => "show or hide this help",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrev => "focus the previous pane",
            Action::Focus(_) => "focus a pane",
            Action::RunQuery => "run the LogQL",
            Action::Cancel => "cancel the running job / close",
            Action::OpenIndex => "indexing screen",
            Action::TimeRange => "time range and limit",
            Action::ToggleView => "metric results: chart / table",
            Action::Zoom => "focused pane alone",
            Action::Export => "export the session (Markdown)",
            Action::CopyLogql => "copy the LogQL (OSC 52)",
            Action::InsertTemplate => "knowledge: template's LogQL to the editor",
            Action::Scroll(Scroll::Up(_)) => "scroll up",
            Action::Scroll(Scroll::Down(_)) => "scroll down",
            Action::Scroll(Scroll::PageUp) => "page up",
            Action::Scroll(Scroll::PageDown) => "page down",
            Action::Scroll(Scroll::Top) => "to the top",
            Action::Scroll(Scroll::Bottom) => "to the bottom",
            Action::Ask(_) => "ask a question",
            Action::SetLogql(_) => "set the LogQL",
            Action::Mark => "results: mark / unmark a log line",
            Action::Analyze => "results: analyse marked (or all) lines",
            Action::OpenScan => "anomaly scan screen",
            Action::NextPart => "analysis: next part",
            Action::PrevPart => "analysis: previous part",
            Action::ToggleReasoning => "answer: expand / fold the model's reasoning",
            Action::Follow => "indexing screen: index, then follow the log",
        }
    }
}
