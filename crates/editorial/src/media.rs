//! Images for content items: only JPEG, PNG and WebP, at most 5 MB, and stripped before
//! anything is stored by an allowlist: only the segments and chunks needed to display the
//! picture (and its colour profile) are kept, so metadata that can identify a person or a place
//! goes whatever block it hides in (EXIF with GPS, XMP, text chunks, comments, C2PA manifests,
//! maker notes), and so do bytes after a JPEG's end (motion-photo trailers). The image data
//! itself is not decoded, so a malformed picture cannot reach a decoder on the server.

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
        let mut bytes = jpeg.encoder().bytes().to_vec();
        bytes.truncate(end_of_jpeg(&bytes));
        return Ok(CleanImage {
            content_type: "image/jpeg",
            bytes,
        });
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut png = Png::from_bytes(data).map_err(|_| MediaError::Corrupt)?;
        png.chunks_mut()
            .retain(|chunk| PNG_KEPT.contains(&chunk.kind()));
        return Ok(CleanImage {
            content_type: "image/png",
            bytes: png.encoder().bytes().to_vec(),
        });
    }
    if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        let mut webp = WebP::from_bytes(data).map_err(|_| MediaError::Corrupt)?;
        webp.chunks_mut()
            .retain(|chunk| WEBP_KEPT.contains(&chunk.id()));
        // Also recomputes the extended header's flags for the chunks that are left.
        webp.set_exif(None);
        return Ok(CleanImage {
            content_type: "image/webp",
            bytes: webp.encoder().bytes().to_vec(),
        });
    }
    Err(MediaError::Unsupported)
}

/// An image's size in pixels, read from its header (the pixels are not decoded; `imagesize`
/// reads only the few bytes that say it), or `None` when the header does not say.
#[must_use]
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let size = imagesize::blob_size(bytes).ok()?;
    let width = u32::try_from(size.width).ok()?;
    let height = u32::try_from(size.height).ok()?;
    (width > 0 && height > 0).then_some((width, height))
}

/// PNG chunks kept: the image (header, palette, data, end), transparency, colour and gamma,
/// pixel size, and APNG's animation chunks. Text, EXIF, time, C2PA (`caBX`) and any chunk
/// not listed go.
const PNG_KEPT: [[u8; 4]; 15] = [
    *b"IHDR", *b"PLTE", *b"IDAT", *b"IEND", *b"tRNS", *b"gAMA", *b"cHRM", *b"sRGB", *b"iCCP",
    *b"sBIT", *b"pHYs", *b"bKGD", *b"acTL", *b"fcTL", *b"fdAT",
];

/// WebP chunks kept: the image (lossy, lossless, alpha), the extended header, its colour
/// profile and animation. EXIF, XMP and any chunk not listed go.
const WEBP_KEPT: [[u8; 4]; 7] = [
    *b"VP8 ", *b"VP8L", *b"VP8X", *b"ALPH", *b"ICCP", *b"ANIM", *b"ANMF",
];

/// JPEG segments kept: the frame, tables and scan needed to show the picture, the JFIF
/// header, colour profiles and Adobe's colour transform. Every other application segment
/// (EXIF, XMP, maker notes, C2PA...), comments and any marker not listed go.
fn keep_jpeg_segment(marker: u8, contents: &[u8]) -> bool {
    match marker {
        markers::APP0 => contents.starts_with(b"JFIF\0") || contents.starts_with(b"JFXX\0"),
        markers::APP2 => contents.starts_with(b"ICC_PROFILE\0"),
        markers::APP14 => contents.starts_with(b"Adobe"),
        // Frames (SOF0-15, with DHT, JPG and DAC among them), restarts, scan and tables.
        0xC0..=0xCF
        | markers::RST0..=markers::RST7
        | markers::SOS
        | markers::DQT
        | markers::DNL
        | markers::DRI
        | markers::DHP
        | markers::EXP => true,
        _ => false,
    }
}

/// Where a JPEG ends: just after the first end-of-image marker following the first scan. The
/// entropy-coded data cannot hold that marker (a 0xFF there is followed by 0x00 or a restart),
/// so anything after it is a trailer (a motion photo's video, hidden data), never picture.
fn end_of_jpeg(bytes: &[u8]) -> usize {
    let marker = |m: u8| move |w: &[u8]| w == [0xFF, m];
    let Some(scan) = bytes.windows(2).position(marker(markers::SOS)) else {
        return bytes.len();
    };
    bytes[scan..]
        .windows(2)
        .position(marker(markers::EOI))
        .map_or(bytes.len(), |end| scan + end + 2)
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
    fn a_c2pa_chunk_and_unknown_png_chunks_are_removed_by_allowlist() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(png_chunk(
            *b"IHDR",
            &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0],
        ));
        png.extend(png_chunk(*b"caBX", b"c2pa Ana Lima GPS 45.76N 4.83E"));
        png.extend(png_chunk(*b"prVt", b"private note"));
        png.extend(png_chunk(*b"pHYs", &[0, 0, 11, 19, 0, 0, 11, 19, 1]));
        png.extend(png_chunk(*b"IDAT", &[1, 2, 3]));
        png.extend(png_chunk(*b"IEND", &[]));
        let clean = clean(&png).unwrap();
        let text = String::from_utf8_lossy(&clean.bytes);
        assert!(!text.contains("Ana Lima") && !text.contains("private note"));
        assert!(!text.contains("caBX") && !text.contains("prVt"));
        assert!(text.contains("pHYs") && text.contains("IDAT"));
    }

    #[test]
    fn bytes_after_a_jpegs_end_and_unknown_segments_are_removed() {
        let mut jpeg = jpeg_with_exif();
        // An APP11 (JUMBF/C2PA) segment before the frame, and a motion-photo trailer.
        let at = 2;
        let app11: Vec<u8> = [&[0xFF, 0xEB, 0x00, 0x12][..], b"JP c2pa by Ana Lim"].concat();
        jpeg.splice(at..at, app11);
        jpeg.extend_from_slice(b"ftypmp42 MOTION PHOTO of Ana at home");
        let clean = clean(&jpeg).unwrap();
        let text = String::from_utf8_lossy(&clean.bytes);
        assert!(
            !text.contains("c2pa") && !text.contains("MOTION PHOTO"),
            "{text}"
        );
        assert!(clean.bytes.ends_with(&[0xFF, 0xD9]));
        assert!(clean.bytes.windows(3).any(|w| w == [0x12, 0x34, 0x56]));
        assert_eq!(super::clean(&clean.bytes).unwrap(), clean, "idempotent");
    }

    #[test]
    fn dimensions_are_read_from_the_header() {
        assert_eq!(dimensions(&jpeg_with_exif()), Some((16, 16)));
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(png_chunk(
            *b"IHDR",
            &[0, 0, 4, 176, 0, 0, 2, 118, 8, 2, 0, 0, 0],
        ));
        assert_eq!(dimensions(&png), Some((1200, 630)));
        assert_eq!(dimensions(b"not an image"), None);
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
