//! Tenant names, slugs and the Mexican RFC.

use crate::error::DomainError;

/// A readable, URL-safe handle for a tenant name: lowercase ASCII letters,
/// digits and dashes, accents folded (`"Refacciones Ñuñoa"` →
/// `"refacciones-nunoa"`). Names that differ only in case or accents share a
/// slug; the caller makes it unique with a numeric suffix.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c => c,
        };
        if folded.is_ascii_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(folded);
        } else {
            dash = true;
        }
        if slug.len() >= 48 {
            break;
        }
    }
    if slug.is_empty() { "tenant".to_owned() } else { slug }
}

/// Checks the shape of an RFC (Registro Federal de Contribuyentes): three
/// letters for a company or four for a person (`&` and `Ñ` allowed), a
/// YYMMDD date, and a three-character homoclave. Returns it uppercased.
pub fn normalize_rfc(rfc: &str) -> Result<String, DomainError> {
    let rfc = rfc.trim().to_uppercase();
    let chars: Vec<char> = rfc.chars().collect();
    let invalid = DomainError::Invalid { field: "rfc", reason: "no tiene la forma de un RFC" };
    let letters = match chars.len() {
        12 => 3,
        13 => 4,
        _ => return Err(invalid),
    };
    let (head, rest) = chars.split_at(letters);
    let (date, homoclave) = rest.split_at(6);
    let head_ok = head.iter().all(|c| c.is_ascii_uppercase() || *c == '&' || *c == 'Ñ');
    let date_ok = date.iter().all(char::is_ascii_digit) && {
        let month = (date[2] as u8 - b'0') * 10 + (date[3] as u8 - b'0');
        let day = (date[4] as u8 - b'0') * 10 + (date[5] as u8 - b'0');
        (1..=12).contains(&month) && (1..=31).contains(&day)
    };
    let homoclave_ok = homoclave.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if head_ok && date_ok && homoclave_ok { Ok(rfc) } else { Err(invalid) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differing_in_case_share_a_slug() {
        assert_eq!(slugify("Refac Demo"), "refac-demo");
        assert_eq!(slugify("refac demo"), "refac-demo");
        assert_eq!(slugify("  Refacciones  Ñuñoa & Hijos!! "), "refacciones-nunoa-hijos");
        assert_eq!(slugify("¡¡¡"), "tenant");
        assert!(slugify(&"x".repeat(500)).len() <= 48);
    }

    #[test]
    fn rfcs_of_companies_and_people_are_accepted() {
        assert_eq!(normalize_rfc("demo010101aaa").unwrap(), "DEMO010101AAA");
        assert_eq!(normalize_rfc("ABC991231XY9").unwrap(), "ABC991231XY9");
        assert_eq!(normalize_rfc("Ñ&A010203AB1").unwrap(), "Ñ&A010203AB1");
        for bad in ["", "ABC", "ABC011301XY9", "ABC010132XY9", "AB1010101XY9", "DEMO010101AA-"] {
            assert!(normalize_rfc(bad).is_err(), "{bad}");
        }
    }
}
