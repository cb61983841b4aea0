//! Markdown to safe HTML and to plain per-network text. (Being written.)
