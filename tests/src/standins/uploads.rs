//! What the stand-ins share to take an image as the networks do: the parts of a
//! `multipart/form-data` body ([`multipart`]), the type an image really has, read from its magic
//! bytes rather than from what the client declared ([`sniff`]), and its size in pixels
//! ([`dimensions`]).

use axum::http::HeaderMap;

use super::store::header_text;

/// One part of a multipart body: its name, its declared type, its bytes.
pub(crate) struct Part {
    pub name: String,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (RFC 7578), or `None` when it is not one.
pub(crate) fn multipart(headers: &HeaderMap, body: &[u8]) -> Option<Vec<Part>> {
    let content_type = header_text(headers, "content-type")?;
    let boundary = content_type
        .strip_prefix("multipart/form-data")?
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    let start = find(rest, &delimiter)?;
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        rest = &rest[head_end + 4..];
        let end = find(rest, &[b"\r\n".as_slice(), &delimiter].concat())?;
        let data = rest[..end].to_vec();
        rest = &rest[end + 2 + delimiter.len()..];
        let mut name = None;
        let mut part_type = None;
        for line in head.split("\r\n") {
            let (key, value) = line.split_once(':')?;
            if key.eq_ignore_ascii_case("content-disposition") {
                name = value.split(';').find_map(|p| {
                    p.trim()
                        .strip_prefix("name=")
                        .map(|n| n.trim_matches('"').to_owned())
                });
            } else if key.eq_ignore_ascii_case("content-type") {
                part_type = Some(value.trim().to_owned());
            }
        }
        parts.push(Part {
            name: name?,
            content_type: part_type,
            data,
        });
    }
}

/// The text of the part named `name`, if any (and valid UTF-8).
pub(crate) fn text_part<'p>(parts: &'p [Part], name: &str) -> Option<&'p str> {
    parts
        .iter()
        .find(|part| part.name == name)
        .and_then(|part| std::str::from_utf8(&part.data).ok())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The image type the bytes really are (JPEG, PNG, WebP or GIF, by their magic bytes), whatever
/// the client declared; `None` for anything else.
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Width and height in pixels, read from the image's header (`None` when it cannot be read).
pub(crate) fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let be16 = |at: usize| {
        Some(u32::from(u16::from_be_bytes([
            *bytes.get(at)?,
            *bytes.get(at + 1)?,
        ])))
    };
    let le16 = |at: usize| {
        Some(u32::from(u16::from_le_bytes([
            *bytes.get(at)?,
            *bytes.get(at + 1)?,
        ])))
    };
    let le24 = |at: usize| {
        let b = bytes.get(at..at + 3)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], 0]))
    };
    match sniff(bytes)? {
        "image/png" => {
            let b = bytes.get(16..24)?;
            Some((
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ))
        }
        "image/gif" => Some((le16(6)?, le16(8)?)),
        "image/webp" => match bytes.get(12..16)? {
            b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
            b"VP8 " => Some((le16(26)? & 0x3FFF, le16(28)? & 0x3FFF)),
            b"VP8L" => {
                let b = bytes.get(21..25)?;
                let bits = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
            }
            _ => None,
        },
        _ => {
            // JPEG: walk the segments to the first start-of-frame.
            let mut at = 2;
            while at + 4 <= bytes.len() {
                if bytes[at] != 0xFF {
                    return None;
                }
                let marker = bytes[at + 1];
                if marker == 0xFF {
                    at += 1;
                    continue;
                }
                if (0xD0..=0xD9).contains(&marker) || marker == 0x01 {
                    at += 2;
                    continue;
                }
                let length = usize::try_from(be16(at + 2)?).ok()?;
                let is_frame =
                    (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
                if is_frame {
                    return Some((be16(at + 7)?, be16(at + 5)?));
                }
                at += 2 + length;
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_magic_bytes_tell_the_type_and_the_header_the_size() {
        assert_eq!(sniff(&crate::TINY_PNG), Some("image/png"));
        assert_eq!(dimensions(&crate::TINY_PNG), Some((1, 1)));
        let gif = b"GIF89a\x03\x00\x02\x00";
        assert_eq!(sniff(gif), Some("image/gif"));
        assert_eq!(dimensions(gif), Some((3, 2)));
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00,
            0x02, 0x00, 0x05, 0x01, 0x01, 0x11, 0x00,
        ];
        assert_eq!(sniff(&jpeg), Some("image/jpeg"));
        assert_eq!(dimensions(&jpeg), Some((5, 2)));
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        webp.extend_from_slice(&[0x09, 0x00, 0x00, 0x04, 0x00, 0x00]);
        assert_eq!(sniff(&webp), Some("image/webp"));
        assert_eq!(dimensions(&webp), Some((10, 5)));
        assert_eq!(sniff(b"II*\0 a TIFF"), None);
        assert_eq!(sniff(b"<svg/>"), None);
    }
}
