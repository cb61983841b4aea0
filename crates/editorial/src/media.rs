//! Images for content items: only JPEG, PNG and WebP, at most 5 MB, and every metadata block
//! that can identify a person or a place (EXIF with GPS, XMP, text chunks, comments) removed
//! before anything is stored. The image data itself is not decoded, so a malformed picture
//! cannot reach a decoder on the server.

use img_parts::jpeg::{Jpeg, markers};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF as _};

/// The largest upload accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// An image whose metadata was stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanImage {
    /// `image/jpeg`, `image/png` or `image/webp`, from the file's signature (never from the
    /// name or the browser's claim).
    pub content_type: &'static str,
    /// The image without metadata.
    pub bytes: Vec<u8>,
}

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// Over [`MAX_BYTES`].
    #[error("the image is larger than 5 MB")]
    TooLarge,
    /// Not JPEG, PNG or WebP.
    #[error("only JPEG, PNG and WebP images are accepted")]
    Unsupported,
    /// The container is truncated or malformed.
    #[error("the image file is damaged")]
    Corrupt,
}

/// Checks the type and size of an upload and strips its metadata.
///
/// # Errors
/// [`MediaError`].
pub fn clean(bytes: &[u8]) -> Result<CleanImage, MediaError> {
    if bytes.len() > MAX_BYTES {
        return Err(MediaError::TooLarge);
    }
    let data = Bytes::copy_from_slice(bytes);
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let mut jpeg = Jpeg::from_bytes(data).map_err(|_| MediaError::Corrupt)?;
        jpeg.segments_mut()
            .retain(|segment| keep_jpeg_segment(segment.marker(), segment.contents()));
        return Ok(CleanImage {
            content_type: "image/jpeg",
            bytes: jpeg.encoder().bytes().to_vec(),
        });
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut png = Png::from_bytes(data).map_err(|_| MediaError::Corrupt)?;
        for kind in [*b"eXIf", *b"tEXt", *b"iTXt", *b"zTXt", *b"tIME"] {
            png.remove_chunks_by_type(kind);
        }
        return Ok(CleanImage {
            content_type: "image/png",
            bytes: png.encoder().bytes().to_vec(),
        });
    }
    if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        let mut webp = WebP::from_bytes(data).map_err(|_| MediaError::Corrupt)?;
        webp.set_exif(None);
        webp.remove_chunks_by_id(*b"XMP ");
        return Ok(CleanImage {
            content_type: "image/webp",
            bytes: webp.encoder().bytes().to_vec(),
        });
    }
    Err(MediaError::Unsupported)
}

/// JPEG segments kept: everything needed to show the picture (frame, tables, scan), the JFIF
/// header, colour profiles and Adobe's colour transform; all other application segments
/// (EXIF, XMP, maker notes...) and comments go.
fn keep_jpeg_segment(marker: u8, contents: &[u8]) -> bool {
    match marker {
        markers::APP0 | markers::APP14 => true,
        markers::APP2 => contents.starts_with(b"ICC_PROFILE\0"),
        markers::COM => false,
        m if (markers::APP0..=markers::APP15).contains(&m) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A structurally valid JPEG with an EXIF segment that holds a GPS note and a comment.
    pub(crate) fn jpeg_with_exif() -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        let mut segment = |marker: u8, body: &[u8]| {
            out.extend_from_slice(&[0xFF, marker]);
            let len = u16::try_from(body.len() + 2).unwrap();
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(body);
        };
        segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        segment(
            0xE1,
            b"Exif\0\0MM\0*GPS 45.7640N 4.8357E home of the photographer",
        );
        segment(0xFE, b"taken by Ana on her phone");
        segment(0xDB, &[0u8; 65]);
        segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
        segment(0xDA, &[1, 1, 0, 0, 63, 0]);
        out.extend_from_slice(&[0x12, 0x34, 0x56]);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn jpeg_metadata_is_removed_and_the_picture_kept() {
        let clean = clean(&jpeg_with_exif()).unwrap();
        assert_eq!(clean.content_type, "image/jpeg");
        let text = String::from_utf8_lossy(&clean.bytes);
        assert!(!text.contains("GPS") && !text.contains("Exif") && !text.contains("taken by Ana"));
        assert!(text.contains("JFIF"));
        assert!(
            clean.bytes.windows(3).any(|w| w == [0x12, 0x34, 0x56]),
            "scan data kept"
        );
        assert!(clean.bytes.ends_with(&[0xFF, 0xD9]));
        assert_eq!(
            super::clean(&clean.bytes).unwrap(),
            clean,
            "cleaning is idempotent"
        );
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn png_chunk(kind: [u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(&kind);
        out.extend_from_slice(data);
        let mut covered = kind.to_vec();
        covered.extend_from_slice(data);
        out.extend_from_slice(&crc32(&covered).to_be_bytes());
        out
    }

    #[test]
    fn png_text_and_exif_chunks_are_removed() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(png_chunk(
            *b"IHDR",
            &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0],
        ));
        png.extend(png_chunk(*b"tEXt", b"Author\0Ana Lima"));
        png.extend(png_chunk(*b"eXIf", b"MM\0*GPS"));
        png.extend(png_chunk(*b"IDAT", &[1, 2, 3]));
        png.extend(png_chunk(*b"IEND", &[]));
        let clean = clean(&png).unwrap();
        assert_eq!(clean.content_type, "image/png");
        let text = String::from_utf8_lossy(&clean.bytes);
        assert!(!text.contains("Ana Lima") && !text.contains("GPS"));
        assert!(text.contains("IHDR") && text.contains("IDAT") && text.contains("IEND"));
    }

    #[test]
    fn other_files_and_oversized_ones_are_refused() {
        assert_eq!(
            clean(b"<svg onload=alert(1)>"),
            Err(MediaError::Unsupported)
        );
        assert_eq!(clean(b"GIF89a...."), Err(MediaError::Unsupported));
        assert_eq!(clean(&vec![0xFF; MAX_BYTES + 1]), Err(MediaError::TooLarge));
        assert_eq!(
            clean(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]),
            Err(MediaError::Corrupt)
        );
    }
}
