//! Writing what the batch buffered: one multi-row insert per table.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use nexus_domain::audit::ChainedEntry;
use nexus_domain::sync::payload;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::audit::insert_audit;
use super::cash::insert_movements;
use super::planner::Planner;
use super::sales::insert_sales;
use crate::alerts;

/// One row of `sync_ops`: an op received, applied or rejected.
pub(super) struct OpLogRow {
    pub(super) seq: i64,
    pub(super) op_id: Uuid,
    pub(super) kind: Cow<'static, str>,
    pub(super) status: &'static str,
    pub(super) reason: Option<String>,
    pub(super) employee_id: Option<Uuid>,
    pub(super) device_time: DateTime<Utc>,
}

/// Rows waiting for one multi-row insert per table.
#[derive(Default)]
pub(super) struct Buffers {
    pub(super) sales: Vec<payload::SaleCompleted>,
    pub(super) movements: Vec<payload::CashMoved>,
    pub(super) audit: Vec<ChainedEntry>,
    pub(super) ops: Vec<OpLogRow>,
    pub(super) conflicts: Vec<(i64, &'static str, Value)>,
}

impl Buffers {
    fn is_empty(&self) -> bool {
        self.sales.is_empty()
            && self.movements.is_empty()
            && self.audit.is_empty()
            && self.ops.is_empty()
            && self.conflicts.is_empty()
    }
}

impl Planner {
    /// Writes every buffered row, one statement per table.
    pub(super) async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        insert_sales(tx, self.device_id, self.branch_id, &buf.sales).await?;
        insert_movements(tx, &buf.movements).await?;
        insert_audit(tx, &buf.audit).await?;
        if !buf.ops.is_empty() {
            let ops = &buf.ops;
            let seqs: Vec<i64> = ops.iter().map(|o| o.seq).collect();
            let ids: Vec<Uuid> = ops.iter().map(|o| o.op_id).collect();
            let kinds: Vec<&str> = ops.iter().map(|o| o.kind.as_ref()).collect();
            let statuses: Vec<&str> = ops.iter().map(|o| o.status).collect();
            let reasons: Vec<Option<&str>> = ops.iter().map(|o| o.reason.as_deref()).collect();
            let employees: Vec<Option<Uuid>> = ops.iter().map(|o| o.employee_id).collect();
            let times: Vec<DateTime<Utc>> = ops.iter().map(|o| o.device_time).collect();
            sqlx::query(
                "INSERT INTO sync_ops (device_id, seq, op_id, kind, status, reason, employee_id, device_time)
                 SELECT $1, * FROM unnest($2::int8[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::timestamptz[])",
            )
            .bind(self.device_id)
            .bind(seqs)
            .bind(ids)
            .bind(kinds)
            .bind(statuses)
            .bind(reasons)
            .bind(employees)
            .bind(times)
            .execute(&mut *tx)
            .await?;
        }
        if !buf.conflicts.is_empty() {
            let seqs: Vec<i64> = buf.conflicts.iter().map(|c| c.0).collect();
            let kinds: Vec<&str> = buf.conflicts.iter().map(|c| c.1).collect();
            let details: Vec<String> = buf.conflicts.iter().map(|c| c.2.to_string()).collect();
            let recorded: Vec<(Uuid, String, Value)> = sqlx::query_as(
                "INSERT INTO sync_conflicts (device_id, seq, kind, detail)
                 SELECT $1, s, k, d::jsonb FROM unnest($2::int8[], $3::text[], $4::text[]) AS t(s, k, d)
                 RETURNING id, kind, detail",
            )
            .bind(self.device_id)
            .bind(seqs)
            .bind(kinds)
            .bind(details)
            .fetch_all(&mut *tx)
            .await?;
            alerts::conflicts_recorded(tx, self.branch_id, self.device_id, &recorded, self.now).await?;
        }
        Ok(())
    }
}
