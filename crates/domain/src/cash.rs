//! Cash sessions (shifts): who may open one, who may use and close it, and
//! the arithmetic of the close.
//!
//! The rules are the register-assignment spec's, in its order, with its
//! messages: an admin assigns registers; a cashier opens a session only on a
//! register assigned to them, never a second one of their own, never on a
//! register in use, never on another branch's register; every operation and
//! the close belong to the session's owner alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::money::Money;
use crate::permission::Grants;
use crate::{BranchId, EmployeeId, Permission};

/// Everything the opening checks look at, gathered by the caller in the
/// same transaction that will insert the session.
#[derive(Clone, Debug)]
pub struct OpeningFacts {
    pub grants: Grants,
    /// The user has an active assignment to the register.
    pub assigned: bool,
    pub register_active: bool,
    /// The user already has an OPEN session (on any register).
    pub user_has_open_session: bool,
    /// The register already has an OPEN session (of anyone).
    pub register_in_use: bool,
    pub register_branch: BranchId,
    pub terminal_branch: BranchId,
}

/// Checks an opening in the spec's order: permission, assignment, the
/// user's own open session, the register in use, the branch.
pub fn check_opening(f: &OpeningFacts) -> Result<(), DomainError> {
    let missing = f.grants.missing(&[Permission::CashSessionOpen]);
    if !missing.is_empty() {
        return Err(DomainError::Forbidden { missing });
    }
    if !f.assigned {
        return Err(DomainError::NotAssigned);
    }
    if !f.register_active {
        return Err(DomainError::RegisterInactive);
    }
    if f.user_has_open_session {
        return Err(DomainError::SessionAlreadyOpen);
    }
    if f.register_in_use {
        return Err(DomainError::RegisterInUse);
    }
    if f.register_branch != f.terminal_branch {
        return Err(DomainError::RegisterOtherBranch);
    }
    Ok(())
}

/// A session as the ownership checks see it.
#[derive(Clone, Copy, Debug)]
pub struct SessionFacts {
    pub open: bool,
    pub opened_by: EmployeeId,
}

/// Every operation on a session (sale, layaway payment, cash in or out,
/// expense) needs it OPEN and owned by the acting user.
pub fn check_operation(session: Option<SessionFacts>, actor: EmployeeId) -> Result<(), DomainError> {
    match session {
        Some(s) if s.open && s.opened_by == actor => Ok(()),
        _ => Err(DomainError::InvalidSession),
    }
}

/// Only the owner closes a session, and only while it is OPEN.
pub fn check_close(
    session: Option<SessionFacts>,
    actor: EmployeeId,
    grants: &Grants,
) -> Result<(), DomainError> {
    let missing = grants.missing(&[Permission::CashSessionClose]);
    if !missing.is_empty() {
        return Err(DomainError::Forbidden { missing });
    }
    match session {
        Some(s) if s.open && s.opened_by == actor => Ok(()),
        _ => Err(DomainError::SessionNotClosable),
    }
}

/// The money that went through a session's drawer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DrawerTotals {
    pub opening: Money,
    /// Cash handed over by customers (sales and layaway payments).
    pub cash_received: Money,
    /// Change handed back.
    pub change_given: Money,
    pub cash_in: Money,
    /// Cash taken out: withdrawals, expenses and refunds.
    pub cash_out: Money,
}

impl DrawerTotals {
    /// expected = opening + cash received − change given + cash in − cash out.
    pub fn expected(&self) -> Result<Money, DomainError> {
        self.opening
            .checked_add(self.cash_received)
            .and_then(|m| m.checked_sub(self.change_given))
            .and_then(|m| m.checked_add(self.cash_in))
            .and_then(|m| m.checked_sub(self.cash_out))
            .ok_or(DomainError::InvalidAmount(crate::money::MoneyError::TooLarge))
    }
}

/// difference = counted − expected (negative: money is missing).
pub fn difference(counted: Money, expected: Money) -> Money {
    Money::from_cents(counted.cents() - expected.cents())
}

/// A Mexican bill or coin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Denomination {
    #[serde(rename = "B1000")]
    Bill1000,
    #[serde(rename = "B500")]
    Bill500,
    #[serde(rename = "B200")]
    Bill200,
    #[serde(rename = "B100")]
    Bill100,
    #[serde(rename = "B50")]
    Bill50,
    #[serde(rename = "B20")]
    Bill20,
    #[serde(rename = "C20")]
    Coin20,
    #[serde(rename = "C10")]
    Coin10,
    #[serde(rename = "C5")]
    Coin5,
    #[serde(rename = "C2")]
    Coin2,
    #[serde(rename = "C1")]
    Coin1,
    #[serde(rename = "C050")]
    Coin050,
}

impl Denomination {
    /// Bills of 1000, 500, 200, 100, 50 and 20; coins of 20, 10, 5, 2, 1 and 0.50.
    pub const ALL: [Denomination; 12] = [
        Denomination::Bill1000,
        Denomination::Bill500,
        Denomination::Bill200,
        Denomination::Bill100,
        Denomination::Bill50,
        Denomination::Bill20,
        Denomination::Coin20,
        Denomination::Coin10,
        Denomination::Coin5,
        Denomination::Coin2,
        Denomination::Coin1,
        Denomination::Coin050,
    ];

    pub const fn value(self) -> Money {
        Money::from_cents(match self {
            Denomination::Bill1000 => 100_000,
            Denomination::Bill500 => 50_000,
            Denomination::Bill200 => 20_000,
            Denomination::Bill100 => 10_000,
            Denomination::Bill50 => 5_000,
            Denomination::Bill20 | Denomination::Coin20 => 2_000,
            Denomination::Coin10 => 1_000,
            Denomination::Coin5 => 500,
            Denomination::Coin2 => 200,
            Denomination::Coin1 => 100,
            Denomination::Coin050 => 50,
        })
    }

    pub const fn is_bill(self) -> bool {
        matches!(
            self,
            Denomination::Bill1000
                | Denomination::Bill500
                | Denomination::Bill200
                | Denomination::Bill100
                | Denomination::Bill50
                | Denomination::Bill20
        )
    }

    /// How a cashier names it.
    pub fn label(self) -> String {
        let kind = if self.is_bill() { "Billete" } else { "Moneda" };
        let v = self.value();
        if v.cents() % 100 == 0 {
            format!("{kind} de ${}", v.cents() / 100)
        } else {
            format!("{kind} de ${}", v.to_decimal_string())
        }
    }
}

/// Pieces counted per denomination.
pub type DenominationCount = BTreeMap<Denomination, u32>;

/// At most this many pieces of one denomination are believable in a drawer.
pub const MAX_PIECES: u32 = 100_000;

/// The total of a count.
pub fn count_total(count: &DenominationCount) -> Result<Money, DomainError> {
    count.iter().try_fold(Money::ZERO, |acc, (d, pieces)| {
        if *pieces > MAX_PIECES {
            return Err(DomainError::Invalid { field: "denominations", reason: "demasiadas piezas" });
        }
        d.value()
            .checked_mul(i64::from(*pieces))
            .and_then(|m| acc.checked_add(m))
            .ok_or(DomainError::InvalidAmount(crate::money::MoneyError::TooLarge))
    })
}

/// The amount counted at close: typed, or the total of a count by
/// denomination, or both when they agree. A count with nothing in it (no
/// amount typed, no denomination entered) is refused rather than read as an
/// empty drawer, and a count that does come to zero stands only when the
/// person confirmed it (`zero_confirmed`): one stray Enter must not close a
/// shift as a full shortage.
pub fn counted_amount(
    typed: Option<Money>,
    count: Option<&DenominationCount>,
    zero_confirmed: bool,
) -> Result<Money, DomainError> {
    let from_count = count.filter(|c| !c.is_empty()).map(count_total).transpose()?;
    let counted = match (typed, from_count) {
        (Some(t), Some(c)) if t != c => return Err(DomainError::CountMismatch { typed: t, counted: c }),
        (Some(t), _) => t,
        (None, Some(c)) => c,
        (None, None) => return Err(DomainError::EmptyCount),
    };
    let counted = counted.ensure_amount()?;
    if counted.is_zero() && !zero_confirmed {
        return Err(DomainError::ZeroCountUnconfirmed);
    }
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PermissionSet, Role};
    use proptest::prelude::*;
    use uuid::Uuid;

    fn branch(n: u128) -> BranchId {
        BranchId(Uuid::from_u128(n))
    }

    fn facts() -> OpeningFacts {
        OpeningFacts {
            grants: Grants { role: Role::Cashier, permissions: Role::Cashier.default_permissions() },
            assigned: true,
            register_active: true,
            user_has_open_session: false,
            register_in_use: false,
            register_branch: branch(1),
            terminal_branch: branch(1),
        }
    }

    #[test]
    fn an_assigned_cashier_opens_a_free_register_of_their_branch() {
        assert_eq!(check_opening(&facts()), Ok(()));
    }

    #[test]
    fn opening_checks_run_in_the_specified_order() {
        // Everything wrong at once: the first check in the order answers.
        let mut f = OpeningFacts {
            grants: Grants { role: Role::Warehouse, permissions: PermissionSet::default() },
            assigned: false,
            register_active: false,
            user_has_open_session: true,
            register_in_use: true,
            register_branch: branch(2),
            terminal_branch: branch(1),
        };
        let mut seen = Vec::new();
        loop {
            match check_opening(&f) {
                Ok(()) => break,
                Err(e) => {
                    seen.push(e.code());
                    match e {
                        DomainError::Forbidden { .. } => f.grants = facts().grants,
                        DomainError::NotAssigned => f.assigned = true,
                        DomainError::RegisterInactive => f.register_active = true,
                        DomainError::SessionAlreadyOpen => f.user_has_open_session = false,
                        DomainError::RegisterInUse => f.register_in_use = false,
                        DomainError::RegisterOtherBranch => f.register_branch = branch(1),
                        other => panic!("unexpected {other:?}"),
                    }
                }
            }
        }
        assert_eq!(
            seen,
            [
                "forbidden",
                "register_not_assigned",
                "register_inactive",
                "session_already_open",
                "register_in_use",
                "register_other_branch"
            ]
        );
    }

    #[test]
    fn the_specs_messages_are_kept() {
        assert_eq!(DomainError::NotAssigned.to_string(), "User is not assigned to this cash register");
        assert_eq!(DomainError::SessionAlreadyOpen.to_string(), "Ya tienes una sesión activa");
        assert_eq!(DomainError::InvalidSession.to_string(), "Invalid session or not owned by user");
        assert_eq!(
            DomainError::SessionNotClosable.to_string(),
            "Cash session not found/OPEN or not owned by user"
        );
    }

    #[test]
    fn only_the_owner_operates_on_and_closes_an_open_session() {
        let me = EmployeeId(Uuid::from_u128(1));
        let other = EmployeeId(Uuid::from_u128(2));
        let grants = Grants { role: Role::Cashier, permissions: Role::Cashier.default_permissions() };
        let open = SessionFacts { open: true, opened_by: me };
        let closed = SessionFacts { open: false, opened_by: me };
        assert_eq!(check_operation(Some(open), me), Ok(()));
        assert_eq!(check_operation(Some(open), other), Err(DomainError::InvalidSession));
        assert_eq!(check_operation(Some(closed), me), Err(DomainError::InvalidSession));
        assert_eq!(check_operation(None, me), Err(DomainError::InvalidSession));
        assert_eq!(check_close(Some(open), me, &grants), Ok(()));
        assert_eq!(check_close(Some(open), other, &grants), Err(DomainError::SessionNotClosable));
        assert_eq!(check_close(Some(closed), me, &grants), Err(DomainError::SessionNotClosable));
        // Even the owner of the business closes only their own session.
        let owner = Grants { role: Role::Owner, permissions: PermissionSet::default() };
        assert_eq!(check_close(Some(open), other, &owner), Err(DomainError::SessionNotClosable));
    }

    #[test]
    fn an_empty_count_is_refused_and_a_zero_count_needs_confirming() {
        let empty = DenominationCount::new();
        let zeros: DenominationCount =
            [(Denomination::Bill500, 0), (Denomination::Coin1, 0)].into_iter().collect();
        for confirmed in [false, true] {
            assert_eq!(counted_amount(None, None, confirmed), Err(DomainError::EmptyCount));
            assert_eq!(counted_amount(None, Some(&empty), confirmed), Err(DomainError::EmptyCount));
        }
        for (typed, count) in
            [(Some(Money::ZERO), None), (None, Some(&zeros)), (Some(Money::ZERO), Some(&empty))]
        {
            assert_eq!(counted_amount(typed, count, false), Err(DomainError::ZeroCountUnconfirmed));
            assert_eq!(counted_amount(typed, count, true), Ok(Money::ZERO));
        }
        assert_eq!(counted_amount(Some(Money::from_cents(1)), None, false), Ok(Money::from_cents(1)));
        assert_eq!(DomainError::EmptyCount.code(), "count_empty");
        assert_eq!(DomainError::ZeroCountUnconfirmed.code(), "zero_count_unconfirmed");
    }

    #[test]
    fn a_count_by_denomination_adds_up_bills_and_coins() {
        let count: DenominationCount = [
            (Denomination::Bill500, 2),
            (Denomination::Bill20, 1),
            (Denomination::Coin20, 1),
            (Denomination::Coin050, 3),
        ]
        .into_iter()
        .collect();
        assert_eq!(count_total(&count), Ok(Money::from_cents(104_150)));
        assert_eq!(counted_amount(None, Some(&count), false), Ok(Money::from_cents(104_150)));
        assert_eq!(
            counted_amount(Some(Money::from_cents(104_150)), Some(&count), false),
            Ok(Money::from_cents(104_150))
        );
        assert!(matches!(
            counted_amount(Some(Money::from_cents(1)), Some(&count), false),
            Err(DomainError::CountMismatch { .. })
        ));
        let json = serde_json::to_string(&count).unwrap();
        assert_eq!(json, r#"{"B500":2,"B20":1,"C20":1,"C050":3}"#);
        assert_eq!(Denomination::Coin050.label(), "Moneda de $0.50");
        assert_eq!(Denomination::Bill1000.label(), "Billete de $1000");
    }

    proptest! {
        #[test]
        fn the_close_balances_to_the_cent(
            opening in 0i64..10_000_000,
            received in 0i64..100_000_000,
            change_ratio in 0i64..=100,
            cash_in in 0i64..10_000_000,
            cash_out_ratio in 0i64..=100,
            error in -100_000i64..100_000,
        ) {
            let change = received * change_ratio / 100;
            let available = opening + received - change + cash_in;
            let cash_out = available * cash_out_ratio / 100;
            let totals = DrawerTotals {
                opening: Money::from_cents(opening),
                cash_received: Money::from_cents(received),
                change_given: Money::from_cents(change),
                cash_in: Money::from_cents(cash_in),
                cash_out: Money::from_cents(cash_out),
            };
            let expected = totals.expected().unwrap();
            prop_assert_eq!(expected.cents(), available - cash_out);
            let counted = Money::from_cents(expected.cents() + error);
            prop_assert_eq!(difference(counted, expected).cents(), error);
        }

        #[test]
        fn a_count_total_is_the_sum_of_its_pieces(pieces in proptest::collection::vec(0u32..1000, 12)) {
            let count: DenominationCount = Denomination::ALL.iter().copied().zip(pieces.iter().copied()).collect();
            let by_hand: i64 = Denomination::ALL.iter().zip(&pieces).map(|(d, p)| d.value().cents() * i64::from(*p)).sum();
            prop_assert_eq!(count_total(&count).unwrap().cents(), by_hand);
        }
    }
}
