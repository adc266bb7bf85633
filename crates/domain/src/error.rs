//! Rule violations, each with a stable code and a Spanish message.
//!
//! The code is what programs (the desktop UI, scripts, HQ tools) match on; the
//! message is what a person reads. Neither layer above ever parses a message.

use crate::Permission;
use crate::money::{Money, MoneyError, Percent, PercentError};
use crate::permission::{UnknownPermission, UnknownRole};
use crate::pin::{InvalidPin, WeakPin};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    InvalidPin(#[from] InvalidPin),
    #[error("{0}")]
    WeakPin(#[from] WeakPin),
    #[error("{0}")]
    InvalidAmount(#[from] MoneyError),
    #[error("{0}")]
    InvalidPercent(#[from] PercentError),
    #[error("el campo «{field}» es obligatorio")]
    Required { field: &'static str },
    #[error("el campo «{field}» admite a lo más {max} caracteres")]
    TooLong { field: &'static str, max: usize },
    #[error("el campo «{field}» no es válido: {reason}")]
    Invalid { field: &'static str, reason: &'static str },
    #[error("{0}")]
    InvalidRole(#[from] UnknownRole),
    #[error("{0}")]
    InvalidPermission(#[from] UnknownPermission),
    #[error("el rol de dueño no se puede crear ni asignar")]
    OwnerRoleForbidden,
    #[error("el dueño solo puede ser modificado por él mismo y nunca desactivado ni degradado")]
    OwnerProtected,
    #[error("no puedes otorgar permisos que no tienes: {}", list(.missing))]
    PermissionEscalation { missing: Vec<Permission> },
    #[error("no puedes administrar a un empleado con permisos que no tienes: {}", list(.missing))]
    TargetOutranksActor { missing: Vec<Permission> },
    #[error("no puedes otorgar un descuento máximo mayor al tuyo")]
    DiscountAboveOwn,
    #[error("no puedes desactivarte a ti mismo")]
    CannotDeactivateSelf,
    #[error("debe quedar al menos una sucursal activa")]
    LastActiveBranch,
    #[error("el tema no es válido: {0}")]
    InvalidTheme(String),
    #[error("faltan permisos: {}", list(.missing))]
    Forbidden { missing: Vec<Permission> },
    #[error("User is not assigned to this cash register")]
    NotAssigned,
    #[error("La caja está desactivada")]
    RegisterInactive,
    #[error("Ya tienes una sesión activa")]
    SessionAlreadyOpen,
    #[error("La caja ya está en uso por otra sesión")]
    RegisterInUse,
    #[error("La caja pertenece a otra sucursal")]
    RegisterOtherBranch,
    #[error("Caja no encontrada")]
    RegisterNotFound,
    #[error("Ya existe una caja con ese número en la sucursal")]
    RegisterNumberTaken,
    #[error("La caja tiene una sesión abierta; ciérrala antes de desactivarla")]
    RegisterHasOpenSession,
    #[error("Asignación no encontrada")]
    AssignmentNotFound,
    /// The employee to assign a register to is unknown or inactive.
    #[error("Empleado no encontrado")]
    AssigneeNotFound,
    #[error("Invalid session or not owned by user")]
    InvalidSession,
    #[error("Cash session not found/OPEN or not owned by user")]
    SessionNotClosable,
    #[error("el conteo por denominación suma {} y se capturó {}", .counted.to_mxn_string(), .typed.to_mxn_string())]
    CountMismatch { typed: Money, counted: Money },
    #[error("captura el efectivo contado: un conteo vacío no cierra la caja")]
    EmptyCount,
    #[error("el conteo da $0.00: confirma que la caja está vacía para cerrarla")]
    ZeroCountUnconfirmed,
    #[error("la venta no tiene partidas")]
    EmptySale,
    #[error("el descuento excede tu máximo de {max}")]
    DiscountAboveMax { max: Percent },
    #[error("pago insuficiente: faltan {}", .missing.to_mxn_string())]
    InsufficientPayment { missing: Money },
    #[error("la tarjeta y la transferencia no pueden exceder el total")]
    ElectronicAboveTotal,
}

fn list(perms: &[Permission]) -> String {
    perms.iter().map(|p| p.code()).collect::<Vec<_>>().join(", ")
}

impl DomainError {
    /// The stable code of this violation.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::InvalidPin(_) => "invalid_pin",
            DomainError::WeakPin(_) => "weak_pin",
            DomainError::InvalidAmount(_) => "invalid_amount",
            DomainError::InvalidPercent(_) => "invalid_percent",
            DomainError::Required { .. } => "field_required",
            DomainError::TooLong { .. } => "field_too_long",
            DomainError::Invalid { .. } => "field_invalid",
            DomainError::InvalidRole(_) => "invalid_role",
            DomainError::InvalidPermission(_) => "invalid_permission",
            DomainError::OwnerRoleForbidden => "owner_role_forbidden",
            DomainError::OwnerProtected => "owner_protected",
            DomainError::PermissionEscalation { .. } => "permission_escalation",
            DomainError::TargetOutranksActor { .. } => "target_outranks_actor",
            DomainError::DiscountAboveOwn => "discount_above_own",
            DomainError::CannotDeactivateSelf => "cannot_deactivate_self",
            DomainError::LastActiveBranch => "last_active_branch",
            DomainError::InvalidTheme(_) => "invalid_theme",
            DomainError::Forbidden { .. } => "forbidden",
            DomainError::NotAssigned => "register_not_assigned",
            DomainError::RegisterInactive => "register_inactive",
            DomainError::SessionAlreadyOpen => "session_already_open",
            DomainError::RegisterInUse => "register_in_use",
            DomainError::RegisterOtherBranch => "register_other_branch",
            DomainError::RegisterNotFound => "register_not_found",
            DomainError::RegisterNumberTaken => "register_number_taken",
            // Deactivating a register in use: the same code as opening one.
            DomainError::RegisterHasOpenSession => "register_in_use",
            DomainError::AssignmentNotFound => "assignment_not_found",
            DomainError::AssigneeNotFound => "employee_not_found",
            DomainError::InvalidSession => "invalid_session",
            DomainError::SessionNotClosable => "session_not_closable",
            DomainError::CountMismatch { .. } => "count_mismatch",
            DomainError::EmptyCount => "count_empty",
            DomainError::ZeroCountUnconfirmed => "zero_count_unconfirmed",
            DomainError::EmptySale => "empty_sale",
            DomainError::DiscountAboveMax { .. } => "discount_above_max",
            DomainError::InsufficientPayment { .. } => "insufficient_payment",
            DomainError::ElectronicAboveTotal => "electronic_above_total",
        }
    }

    /// Whether the violation is about who is acting rather than what was
    /// sent: such errors answer 403 over HTTP.
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            DomainError::Forbidden { .. }
                | DomainError::OwnerProtected
                | DomainError::PermissionEscalation { .. }
                | DomainError::TargetOutranksActor { .. }
                | DomainError::DiscountAboveOwn
        )
    }

    /// Whether the violation names something that does not exist: 404 over HTTP.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            DomainError::RegisterNotFound | DomainError::AssignmentNotFound | DomainError::AssigneeNotFound
        )
    }

    /// Whether the violation is a clash with what is stored (a number
    /// taken, a register in use): 409 over HTTP.
    pub fn is_conflict(&self) -> bool {
        matches!(self, DomainError::RegisterNumberTaken | DomainError::RegisterHasOpenSession)
    }
}

/// Trims `text` and checks it is present and not longer than `max` characters.
pub fn required_text(field: &'static str, text: &str, max: usize) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::Required { field });
    }
    optional_text(field, Some(text), max).map(|t| t.unwrap_or_default())
}

/// Trims `text`; an empty text is `None`; a longer one than `max` is refused.
pub fn optional_text(
    field: &'static str,
    text: Option<&str>,
    max: usize,
) -> Result<Option<String>, DomainError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) if t.chars().count() > max => Err(DomainError::TooLong { field, max }),
        Some(t) if t.chars().any(char::is_control) => {
            Err(DomainError::Invalid { field, reason: "contiene caracteres de control" })
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_are_trimmed_and_bounded() {
        assert_eq!(required_text("name", "  Ana  ", 10).unwrap(), "Ana");
        assert_eq!(required_text("name", "   ", 10), Err(DomainError::Required { field: "name" }));
        assert_eq!(required_text("name", "ñññññ", 5).unwrap(), "ñññññ");
        assert!(matches!(required_text("name", "ñññññ", 4), Err(DomainError::TooLong { .. })));
        assert_eq!(optional_text("phone", Some(" "), 5).unwrap(), None);
        assert!(matches!(optional_text("name", Some("a\u{0}b"), 5), Err(DomainError::Invalid { .. })));
    }

    #[test]
    fn escalation_names_what_is_missing() {
        let e = DomainError::PermissionEscalation {
            missing: vec![Permission::AccountingClose, Permission::CashAssign],
        };
        assert_eq!(e.code(), "permission_escalation");
        assert!(e.to_string().contains("accounting.close, CASH.ASSIGN"));
        assert!(e.is_forbidden());
    }
}
