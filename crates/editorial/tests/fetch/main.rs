//! Link previews and feeds fetched from tiny HTTP servers on 127.0.0.1 started by each test:
//! what is read from a page, and every way a fetch is refused before or while reaching a server.

// Reason: the server helpers are test code too; clippy's test exemption only covers the
// `#[test]` functions themselves.
#![allow(clippy::unwrap_used)]

mod feeds;
mod preview;
mod support;
