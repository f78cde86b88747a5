//! Elderly-care requests: meal delivery, help drawing cash (the proxy bank
//! counter), medical escort, home repair, companionship, health checks, and
//! wristband alarms. A care request is an order with a care record beside it,
//! so it is claimed, completed, approved and rated through the order spine
//! (`claimOrder`, `completeOrder`, …) with the same one-winner claims, events,
//! deadlines, dedication points and privacy; this module adds who may file for
//! an elder, care-specific deadlines, urgent handling, the two-person cash
//! hand-over, and wristband alarms.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;

use super::Care;
use crate::entities::{care_request, order, webhook_receipt, wristband};
use crate::error::{DomainError, DomainResult};
use crate::notifications::{self, NewNotice};
pub use crate::orders::CareKind;
use crate::orders::OrderStep;
use crate::orders::{Order, OrderAction, OrderCategory, OrderStatus, PlaceOrder};
use crate::org::authority;
use crate::org::{Actor, Role};
use crate::workflow::{self, Deadline, Status, Subject, guarded_update};
use crate::{Domain, care, idempotency, privacy};

crate::string_enum!(
    /// Who filed a request.
    FiledAs {
        Elder,
        Family,
        GridWorker,
        HouseholdLead,
        Secretary,
        Wristband,
    }
);

crate::string_enum!(AlarmKind { Sos, Fall, HeartRate });

impl AlarmKind {
    fn label(self) -> &'static str {
        match self {
            AlarmKind::Sos => "SOS求助",
            AlarmKind::Fall => "跌倒",
            AlarmKind::HeartRate => "心率异常",
        }
    }
}

/// The two-person record of cash handed to an elder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashHandover {
    pub amount_fen: i64,
    pub handed_by: Option<i64>,
    pub handed_at: Option<DateTime<Utc>>,
    pub receipt_url: Option<String>,
    pub confirmed_by: Option<i64>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct CareRequest {
    pub order: Order,
    pub elder_id: i64,
    pub kind: CareKind,
    pub urgent: bool,
    pub filed_as: FiledAs,
    pub cash: Option<CashHandover>,
    pub device_id: Option<String>,
    pub alarm_count: i32,
    pub last_alarm_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    /// Where the latest alarm was raised: read through [`Care::alarm_location`], masked and logged.
    alarm_location: Option<String>,
}

fn care(m: care_request::Model, order: Order) -> DomainResult<CareRequest> {
    Ok(CareRequest {
        order,
        elder_id: m.elder_id,
        kind: CareKind::parse(&m.kind)?,
        urgent: m.urgent,
        filed_as: FiledAs::parse(&m.filed_as)?,
        cash: m.cash_amount_fen.map(|amount_fen| CashHandover {
            amount_fen,
            handed_by: m.cash_handed_by,
            handed_at: m.cash_handed_at,
            receipt_url: m.cash_receipt_url,
            confirmed_by: m.cash_confirmed_by,
            confirmed_at: m.cash_confirmed_at,
        }),
        device_id: m.device_id,
        alarm_count: m.alarm_count,
        last_alarm_at: m.last_alarm_at,
        escalated_at: m.escalated_at,
        alarm_location: m.alarm_location,
    })
}

/// What the elder, their family or their grid worker asks for.
#[derive(Clone, Debug, Serialize)]
pub struct FileCareRequest {
    pub community_id: i64,
    /// The elder; `None` files for oneself.
    pub elder_id: Option<i64>,
    pub kind: CareKind,
    pub title: String,
    pub description: String,
    pub urgent: bool,
    /// Help drawing cash: how much, in fen.
    pub cash_amount_fen: Option<i64>,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
}

/// A wristband alarm as the device platform reports it.
#[derive(Clone, Debug)]
pub struct WristbandAlarm {
    pub device_id: String,
    pub kind: AlarmKind,
    pub at: DateTime<Utc>,
    /// As the platform reports it (an address, coordinates). Kept in its own
    /// field, never in the order's description or history, which the whole
    /// pool reads.
    pub location: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AlarmOutcome {
    pub request_id: i64,
    /// The alarm joined a request already open for this device.
    pub joined: bool,
}

/// A care wristband registered to a resident.
pub type Wristband = wristband::Model;

const FILE_SCOPE: &str = "fileCareRequest";
/// The purpose written to the access log when an alarm's location is shown.
pub const PURPOSE_CARE_REQUEST: &str = "CARE_REQUEST";
/// The longest alarm location kept, in characters.
const MAX_LOCATION_CHARS: usize = 200;
/// The most cash one proxy withdrawal may be: 5,000 yuan.
const MAX_CASH_FEN: i64 = 500_000;

/// Card numbers and PINs never belong in linli: refuse long digit runs in cash requests.
fn no_card_details(field: &'static str, text: &str) -> DomainResult<()> {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 6 {
            return Err(DomainError::bad_input(
                field,
                "do not write bank card numbers or PINs here; the helper never needs them",
            ));
        }
    }
    Ok(())
}

fn check_device_id(device_id: &str) -> DomainResult<String> {
    let d = device_id.trim();
    let ok = (4..=64).contains(&d.len()) && d.chars().all(|c| c.is_ascii_alphanumeric() || "-_:.".contains(c));
    if ok {
        Ok(d.to_owned())
    } else {
        Err(DomainError::bad_input("deviceId", "a device id is 4 to 64 letters, digits or -_:."))
    }
}

impl Care<'_> {
    /// Files a care request for oneself (an elder), or for an elder as their
    /// grid worker or the secretary. Urgent requests skip triage: they open at
    /// once with a short claim deadline.
    pub async fn file_request(
        self,
        actor: &Actor,
        input: FileCareRequest,
        idempotency_key: Option<&str>,
    ) -> DomainResult<CareRequest> {
        // Membership is checked in `filed_as`: family linked in the care profile may live elsewhere.
        let hash = idempotency::request_hash(&input)?;
        let key = idempotency_key.map(|k| (k, hash.as_str()));
        idempotency::once(
            &self.d.db,
            actor.user_id,
            FILE_SCOPE,
            idempotency_key,
            &hash,
            || self.insert_request(actor, input.clone(), key),
            |id| self.load_request(id),
        )
        .await
    }

    async fn filed_as(self, actor: &Actor, community_id: i64, elder: i64) -> DomainResult<FiledAs> {
        if elder == actor.user_id {
            return if actor.has(community_id, Role::Resident) {
                Ok(FiledAs::Elder)
            } else {
                Err(DomainError::forbidden("care requests are for residents of the community"))
            };
        }
        if !self.d.org().roles_of(&self.d.db, elder, community_id).await?.contains(&Role::Resident) {
            return Err(DomainError::bad_input("elderId", "this person is not a resident of the community"));
        }
        if actor.has(community_id, Role::Secretary) {
            return Ok(FiledAs::Secretary);
        }
        if actor.has(community_id, Role::GridWorker) {
            return Ok(FiledAs::GridWorker);
        }
        if let Some(a) = care::elder_assignment(&self.d.db, elder).await?
            && a.community_id == community_id
            && a.is_household_lead(actor)
        {
            return Ok(FiledAs::HouseholdLead);
        }
        if care::emergency_contact_users(&self.d.db, elder).await?.contains(&actor.user_id) {
            return Ok(FiledAs::Family);
        }
        Err(DomainError::forbidden(
            "only the elder, family linked in their care profile, their household lead, grid worker or the secretary \
             can file care requests for them",
        ))
    }

    async fn insert_request(
        self,
        actor: &Actor,
        input: FileCareRequest,
        idempotency: Option<(&str, &str)>,
    ) -> DomainResult<CareRequest> {
        let c = input.community_id;
        let elder = input.elder_id.unwrap_or(actor.user_id);
        let filed_as = self.filed_as(actor, c, elder).await?;
        if input.kind == CareKind::Alarm {
            return Err(DomainError::bad_input("kind", "alarms come from wristbands; choose another kind of help"));
        }
        let cash = match (input.kind, input.cash_amount_fen) {
            (CareKind::CashHelp, Some(fen)) if (100..=MAX_CASH_FEN).contains(&fen) => Some(fen),
            (CareKind::CashHelp, _) => {
                return Err(DomainError::bad_input(
                    "cashAmountFen",
                    "say how much cash to draw: 1 to 5000 yuan, in fen",
                ));
            }
            (_, Some(_)) => {
                return Err(DomainError::bad_input("cashAmountFen", "an amount is only for help drawing cash"));
            }
            (_, None) => None,
        };
        if cash.is_some() {
            no_card_details("title", &input.title)?;
            no_card_details("description", &input.description)?;
        }
        let place = PlaceOrder {
            community_id: c,
            category: input.kind.category(),
            title: input.title.clone(),
            description: input.description.clone(),
            address: input.address.clone(),
            contact_phone: input.contact_phone.clone(),
            photo_urls: vec![],
            on_behalf_of: Some(elder),
        };
        let new = self.d.orders().prepare(&self.d.db, &place, elder).await?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let model = self.d.orders().insert_row(&txn, actor.user_id, new, now).await?;
        care_request::ActiveModel {
            order_id: Set(model.id),
            community_id: Set(c),
            elder_id: Set(elder),
            kind: Set(input.kind.as_str().into()),
            urgent: Set(input.urgent),
            filed_as: Set(filed_as.as_str().into()),
            cash_amount_fen: Set(cash),
            alarm_count: Set(0),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if input.urgent {
            self.open_urgent(&txn, &model, Some(actor.user_id), input.kind, now).await?;
            let text = format!("{}：{}", input.kind.label(), model.title);
            self.tell_carers(&txn, c, elder, model.id, "CARE_URGENT", &text, false, now).await?;
        }
        if let Some((key, hash)) = idempotency {
            idempotency::remember(&txn, actor.user_id, FILE_SCOPE, key, hash, model.id, now).await?;
        }
        txn.commit().await?;
        self.load_request(model.id).await
    }

    /// A home visit's follow-up becomes a care request for the secretary to
    /// dispatch, written in the visit's transaction. Returns its id.
    pub(crate) async fn follow_up_request<C: sea_orm::ConnectionTrait>(
        self,
        conn: &C,
        visitor: &Actor,
        community_id: i64,
        elder: i64,
        follow_up: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<i64> {
        let filed_as = if visitor.has(community_id, Role::GridWorker) {
            FiledAs::GridWorker
        } else if visitor.has(community_id, Role::Secretary) {
            FiledAs::Secretary
        } else {
            FiledAs::HouseholdLead
        };
        let place = PlaceOrder {
            community_id,
            category: OrderCategory::ElderlyCare,
            title: "走访跟进".into(),
            description: follow_up.to_owned(),
            address: None,
            contact_phone: None,
            photo_urls: vec![],
            on_behalf_of: Some(elder),
        };
        let new = self.d.orders().prepare(conn, &place, elder).await?;
        let model = self.d.orders().insert_row(conn, visitor.user_id, new, now).await?;
        care_request::ActiveModel {
            order_id: Set(model.id),
            community_id: Set(community_id),
            elder_id: Set(elder),
            kind: Set(CareKind::Other.as_str().into()),
            urgent: Set(false),
            filed_as: Set(filed_as.as_str().into()),
            alarm_count: Set(0),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        Ok(model.id)
    }

    /// Straight to the pool with the urgent claim deadline, skipping triage:
    /// the order machine's own publish step, by whoever filed it (or the
    /// system, for an alarm), in the filing's transaction.
    async fn open_urgent(
        self,
        txn: &sea_orm::DatabaseTransaction,
        row: &order::Model,
        actor_id: Option<i64>,
        kind: CareKind,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let (claim, _) = kind.windows(true, &self.d.settings.care);
        let step = OrderStep::new(actor_id, OrderAction::Publish)
            .note("urgent: opened to helpers at once".to_owned())
            .set(|m| {
                m.claim_due_at = Set(Some(now + claim));
                m.dispatched_at = Set(Some(now));
            });
        match workflow::step_in(self.d, txn, row, step).await? {
            Some(_) => Ok(()),
            None => Err(DomainError::internal("a new care request changed before it opened")),
        }
    }

    async fn load_request(self, id: i64) -> DomainResult<CareRequest> {
        let row =
            care_request::Entity::find_by_id(id).one(&self.d.db).await?.ok_or(DomainError::NotFound("care request"))?;
        let order = self.d.orders().load(id).await?;
        care(row, order)
    }

    /// A care request the actor may see (the same rule as its order).
    pub async fn request(self, actor: &Actor, id: i64) -> DomainResult<CareRequest> {
        let order = self.d.orders().get(actor, id).await.map_err(|_| DomainError::NotFound("care request"))?;
        let row =
            care_request::Entity::find_by_id(id).one(&self.d.db).await?.ok_or(DomainError::NotFound("care request"))?;
        care(row, order)
    }

    /// A community's care requests for its helpers and staff, urgent and newest first.
    pub async fn requests(self, actor: &Actor, community_id: i64, open_only: bool) -> DomainResult<Vec<CareRequest>> {
        actor.require(&authority::CARE_REQUESTS, community_id)?;
        let rows = care_request::Entity::find()
            .filter(care_request::Column::CommunityId.eq(community_id))
            .order_by_desc(care_request::Column::Urgent)
            .order_by_desc(care_request::Column::OrderId)
            .all(&self.d.db)
            .await?;
        self.with_orders(rows, |o| !open_only || !o.status.is_finished()).await
    }

    /// Requests for me as the elder, or that I filed.
    pub async fn my_requests(self, actor: &Actor) -> DomainResult<Vec<CareRequest>> {
        let filed: Vec<i64> = order::Entity::find()
            .filter(order::Column::PlacedBy.eq(actor.user_id))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        let rows = care_request::Entity::find()
            .filter(
                Condition::any()
                    .add(care_request::Column::ElderId.eq(actor.user_id))
                    .add(care_request::Column::OrderId.is_in(filed)),
            )
            .order_by_desc(care_request::Column::OrderId)
            .all(&self.d.db)
            .await?;
        self.with_orders(rows, |_| true).await
    }

    async fn with_orders(
        self,
        rows: Vec<care_request::Model>,
        keep: impl Fn(&Order) -> bool,
    ) -> DomainResult<Vec<CareRequest>> {
        let mut orders = self.d.orders().by_id(&rows.iter().map(|r| r.order_id).collect::<Vec<_>>()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(order) = orders.remove(&row.order_id) else { continue };
            if keep(&order) {
                out.push(care(row, order)?);
            }
        }
        Ok(out)
    }

    /// The helper who claimed a cash request records handing the cash over, with the receipt.
    pub async fn record_cash_handover(self, actor: &Actor, id: i64, receipt_url: &str) -> DomainResult<CareRequest> {
        let req = self.request(actor, id).await?;
        let Some(cash) = &req.cash else {
            return Err(DomainError::bad_input("requestId", "this request is not help drawing cash"));
        };
        if req.order.claimant_id != Some(actor.user_id) || req.order.status != OrderStatus::Claimed {
            return Err(DomainError::forbidden("only the helper who claimed this request records the hand-over"));
        }
        if cash.handed_at.is_some() {
            return Err(DomainError::invalid_state("the hand-over is already recorded"));
        }
        let receipt = self
            .d
            .uploads()
            .checked_photos(&self.d.db, "receiptUrl", actor.user_id, &[receipt_url.to_owned()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| DomainError::bad_input("receiptUrl", "add the receipt photo"))?;
        let now = self.d.clock.now();
        let changes = care_request::ActiveModel {
            cash_handed_by: Set(Some(actor.user_id)),
            cash_handed_at: Set(Some(now)),
            cash_receipt_url: Set(Some(receipt)),
            ..Default::default()
        };
        let guard = Condition::all()
            .add(care_request::Column::OrderId.eq(id))
            .add(care_request::Column::CashHandedAt.is_null());
        self.cash_step(req, OrderAction::HandOverCash, changes, guard, actor.user_id, "cash handed over with receipt")
            .await
    }

    /// The elder, or a witness who is not the helper (their grid worker, the
    /// secretary), confirms the cash was received.
    pub async fn confirm_cash_received(self, actor: &Actor, id: i64) -> DomainResult<CareRequest> {
        let req = self.request(actor, id).await?;
        let Some(cash) = &req.cash else {
            return Err(DomainError::bad_input("requestId", "this request is not help drawing cash"));
        };
        // Nobody confirms their own hand-over: not who handed the cash, nor the order's claimant.
        for helper in [cash.handed_by, req.order.claimant_id] {
            actor.require_not_self_for(&authority::CONFIRM_CASH_RECEIVED, helper)?;
        }
        actor.require_theirs_or(
            &authority::CONFIRM_CASH_RECEIVED,
            req.order.community_id,
            req.elder_id == actor.user_id,
        )?;
        if cash.handed_at.is_none() {
            return Err(DomainError::invalid_state("the helper has not recorded handing the cash over yet"));
        }
        if cash.confirmed_at.is_some() {
            return Err(DomainError::invalid_state("the hand-over is already confirmed"));
        }
        let now = self.d.clock.now();
        let changes = care_request::ActiveModel {
            cash_confirmed_by: Set(Some(actor.user_id)),
            cash_confirmed_at: Set(Some(now)),
            ..Default::default()
        };
        let guard = Condition::all()
            .add(care_request::Column::OrderId.eq(id))
            .add(care_request::Column::CashConfirmedAt.is_null());
        self.cash_step(req, OrderAction::ConfirmCash, changes, guard, actor.user_id, "cash received, confirmed").await
    }

    /// A step of the cash hand-over: recorded on the order (its history,
    /// guarded like every order step) and in the care record, together.
    async fn cash_step(
        self,
        req: CareRequest,
        action: OrderAction,
        changes: care_request::ActiveModel,
        guard: Condition,
        actor_id: i64,
        note: &str,
    ) -> DomainResult<CareRequest> {
        let row = self.d.orders().row(&self.d.db, req.order.id).await?;
        let txn = self.d.db.begin().await?;
        let step = OrderStep::by(actor_id, action).note(note.to_owned());
        if workflow::step_in(self.d, &txn, &row, step).await?.is_none() {
            return Err(workflow::refused::<order::Entity>(self.d, txn, &row, action, Some(actor_id)).await);
        }
        if !guarded_update(&txn, changes, guard).await? {
            txn.rollback().await?;
            return Err(DomainError::invalid_state("this step was already recorded"));
        }
        txn.commit().await?;
        self.load_request(req.order.id).await
    }

    /// A secretary or grid worker binds a wristband to a resident of their community.
    pub async fn register_wristband(self, actor: &Actor, resident_id: i64, device_id: &str) -> DomainResult<Wristband> {
        let device_id = check_device_id(device_id)?;
        let staff_of = actor.communities_for(&authority::REGISTER_WRISTBAND);
        if staff_of.is_empty() {
            return Err(authority::REGISTER_WRISTBAND.refused());
        }
        let mut community = None;
        for c in staff_of {
            if self.d.org().roles_of(&self.d.db, resident_id, c).await?.contains(&Role::Resident) {
                community = Some(c);
                break;
            }
        }
        let Some(community_id) = community else {
            return Err(DomainError::bad_input(
                "residentId",
                "wristbands are bound by a grid worker or secretary to a resident of their community",
            ));
        };
        if let Some(existing) =
            wristband::Entity::find().filter(wristband::Column::DeviceId.eq(&device_id)).one(&self.d.db).await?
        {
            return if existing.resident_id == resident_id {
                Ok(existing)
            } else {
                Err(DomainError::Conflict("this wristband is bound to someone else; unbind it first".into()))
            };
        }
        let row = wristband::ActiveModel {
            device_id: Set(device_id),
            community_id: Set(community_id),
            resident_id: Set(resident_id),
            registered_by: Set(actor.user_id),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await?;
        Ok(row)
    }

    /// Unbinds a wristband (a lost or returned device).
    pub async fn unregister_wristband(self, actor: &Actor, device_id: &str) -> DomainResult<bool> {
        let Some(row) =
            wristband::Entity::find().filter(wristband::Column::DeviceId.eq(device_id.trim())).one(&self.d.db).await?
        else {
            return Err(DomainError::NotFound("wristband"));
        };
        actor.require(&authority::UNREGISTER_WRISTBAND, row.community_id)?;
        wristband::Entity::delete_by_id(row.id).exec(&self.d.db).await?;
        Ok(true)
    }

    /// An alarm from the device platform, already authenticated by its
    /// signature. `digest` identifies the delivery: the same one twice is a
    /// `CONFLICT`. Alarms from one device close together join its open request.
    pub async fn wristband_alarm(self, alarm: WristbandAlarm, digest: &str) -> DomainResult<AlarmOutcome> {
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let receipt = webhook_receipt::ActiveModel {
            source: Set("wristband".into()),
            digest: Set(digest.into()),
            received_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        if let Err(e) = receipt {
            txn.rollback().await?;
            return Err(match DomainError::from(e) {
                DomainError::Conflict(_) => DomainError::Conflict("this alarm was already delivered".into()),
                other => other,
            });
        }
        // The device's row lock serialises its alarms, so simultaneous ones join one request.
        let Some(band) = wristband::Entity::find()
            .filter(wristband::Column::DeviceId.eq(&alarm.device_id))
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            txn.rollback().await?;
            return Err(DomainError::NotFound("wristband"));
        };
        let since = alarm.at - Duration::minutes(self.d.settings.care.alarm_merge_minutes);
        let open = care_request::Entity::find()
            .filter(care_request::Column::DeviceId.eq(&alarm.device_id))
            .filter(care_request::Column::ElderId.eq(band.resident_id))
            .filter(care_request::Column::LastAlarmAt.gte(since))
            .order_by_desc(care_request::Column::OrderId)
            .one(&txn)
            .await?;
        let location = alarm
            .location
            .as_deref()
            .map(|l| l.trim().chars().take(MAX_LOCATION_CHARS).collect::<String>())
            .filter(|l| !l.is_empty());
        let note = alarm.kind.label();
        if let Some(open) = open {
            // Locked: a claim cannot slip in between this read and the step.
            let row = order::Entity::find_by_id(open.order_id).lock_exclusive().one(&txn).await?;
            if let Some(row) = row.filter(|o| OrderStatus::parse(&o.status).is_ok_and(|s| !s.is_finished())) {
                let mut update = care_request::Entity::update_many()
                    .col_expr(care_request::Column::AlarmCount, Expr::col(care_request::Column::AlarmCount).add(1))
                    .col_expr(care_request::Column::LastAlarmAt, Expr::value(alarm.at));
                if let Some(l) = &location {
                    update = update.col_expr(care_request::Column::AlarmLocation, Expr::value(l.clone()));
                }
                update.filter(care_request::Column::OrderId.eq(open.order_id)).exec(&txn).await?;
                let moved = if location.is_some() { " (location updated)" } else { "" };
                let step = OrderStep::system(OrderAction::RepeatAlarm).note(format!("another alarm: {note}{moved}"));
                if workflow::step_in(self.d, &txn, &row, step).await?.is_none() {
                    return Err(DomainError::internal("a locked order changed under an alarm"));
                }
                txn.commit().await?;
                return Ok(AlarmOutcome { request_id: open.order_id, joined: true });
            }
        }
        let place = PlaceOrder {
            community_id: band.community_id,
            category: OrderCategory::ElderlyCare,
            title: format!("{}：{}", CareKind::Alarm.label(), alarm.kind.label()),
            description: format!(
                "手环 {} 于 {} 报警：{note}",
                alarm.device_id,
                alarm.at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            address: None,
            contact_phone: None,
            photo_urls: vec![],
            on_behalf_of: None,
        };
        let new = self.d.orders().prepare(&txn, &place, band.resident_id).await?;
        let model = self.d.orders().insert_row(&txn, band.resident_id, new, now).await?;
        care_request::ActiveModel {
            order_id: Set(model.id),
            community_id: Set(band.community_id),
            elder_id: Set(band.resident_id),
            kind: Set(CareKind::Alarm.as_str().into()),
            urgent: Set(true),
            filed_as: Set(FiledAs::Wristband.as_str().into()),
            device_id: Set(Some(alarm.device_id.clone())),
            alarm_count: Set(1),
            last_alarm_at: Set(Some(alarm.at)),
            alarm_location: Set(location),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        self.open_urgent(&txn, &model, None, CareKind::Alarm, now).await?;
        self.tell_carers(&txn, band.community_id, band.resident_id, model.id, "CARE_ALARM", &model.title, true, now)
            .await?;
        txn.commit().await?;
        Ok(AlarmOutcome { request_id: model.id, joined: false })
    }

    /// Where the alarm was raised, as this viewer may see it: in full for
    /// those who see the request's address in full (the elder, the helper
    /// while it is theirs, the community's grid workers and secretaries) and
    /// the elder's household lead while assigned, each read logged; cut to
    /// the place (no house, no coordinates) for everyone else.
    pub async fn alarm_location(self, actor: &Actor, req: &CareRequest) -> DomainResult<Option<String>> {
        let Some(location) = req.alarm_location.as_deref() else {
            return Ok(None);
        };
        let community = req.order.community_id;
        let full = self.sees_alarm_location(actor, req).await?;
        if !full {
            return Ok(Some(privacy::mask_address(location)));
        }
        if actor.user_id != req.elder_id {
            privacy::log_sensitive_access(
                &self.d.db,
                privacy::SensitiveAccess {
                    community_id: community,
                    accessor_id: actor.user_id,
                    subject_id: req.elder_id,
                    field: privacy::SensitiveField::AlarmLocation,
                    purpose: PURPOSE_CARE_REQUEST,
                    care_request_id: Some(req.order.id),
                    at: self.d.clock.now(),
                },
            )
            .await?;
        }
        Ok(Some(location.to_owned()))
    }

    async fn sees_alarm_location(self, actor: &Actor, req: &CareRequest) -> DomainResult<bool> {
        if !req.order.contact_for(actor).masked {
            return Ok(true);
        }
        let assignment = care::elder_assignment(&self.d.db, req.elder_id).await?;
        Ok(assignment.is_some_and(|a| a.community_id == req.order.community_id && a.is_household_lead(actor)))
    }

    /// Tells the people looking after an elder about an urgent request: their
    /// grid worker and household lead (or, without a care profile, the
    /// community's grid workers), and for alarms their linked family too.
    #[allow(clippy::too_many_arguments)]
    async fn tell_carers<C: sea_orm::ConnectionTrait>(
        self,
        conn: &C,
        community_id: i64,
        elder: i64,
        request_id: i64,
        kind: &'static str,
        text: &str,
        family_too: bool,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let mut people = match care::elder_assignment(conn, elder).await? {
            Some(a) if a.grid_worker_id.is_some() || a.household_lead_id.is_some() => {
                a.grid_worker_id.into_iter().chain(a.household_lead_id).collect()
            }
            _ => notifications::people_with_roles(conn, community_id, &[Role::GridWorker]).await?,
        };
        if family_too {
            people.extend(care::emergency_contact_users(conn, elder).await?);
        }
        people.sort_unstable();
        people.dedup();
        for person in people.into_iter().filter(|p| *p != elder) {
            notifications::notify(
                conn,
                NewNotice {
                    community_id,
                    recipient_id: person,
                    kind,
                    subject_kind: Some(Subject::Order),
                    subject_id: Some(request_id),
                    title: if family_too { "紧急报警".into() } else { "紧急照护请求".into() },
                    body: format!("{text}（请求 #{request_id}），请尽快处理。"),
                    dedup_key: format!("{kind}:{request_id}:{person}"),
                    at: now,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Urgent requests nobody claimed by their deadline go to the secretary,
    /// once each (a guarded step of the order), whichever node sweeps; they
    /// stay open for helpers. Returns the ids. This is the only deadline path
    /// for unclaimed urgent requests (the order sweep skips them);
    /// non-urgent requests, and claimed ones past their finish deadline,
    /// follow the order sweeps and the community's overdue policy.
    pub async fn escalate_unclaimed(self) -> DomainResult<Vec<i64>> {
        workflow::sweep(self.d, &UrgentUnclaimed).await
    }
}

/// Urgent care requests still unclaimed past their short claim deadline, not yet alerted.
struct UrgentUnclaimed;

impl Deadline for UrgentUnclaimed {
    type Kind = order::Entity;
    type Outcome = i64;

    fn due(&self, now: DateTime<Utc>) -> sea_orm::Select<order::Entity> {
        let urgent_not_alerted = Query::select()
            .column(care_request::Column::OrderId)
            .from(care_request::Entity)
            .and_where(care_request::Column::Urgent.eq(true))
            .and_where(care_request::Column::EscalatedAt.is_null())
            .to_owned();
        order::Entity::find()
            .filter(order::Column::Status.is_in(OrderStatus::texts_where(OrderStatus::is_claimable)))
            .filter(order::Column::ClaimDueAt.lt(now))
            .filter(order::Column::Id.in_subquery(urgent_not_alerted))
            .order_by_asc(order::Column::ClaimDueAt)
    }

    async fn plan(
        &self,
        _d: &Domain,
        _txn: &sea_orm::DatabaseTransaction,
        row: &order::Model,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<(OrderStep, i64)>> {
        let step = OrderStep::system(OrderAction::AlertUnclaimed)
            .note("nobody claimed this urgent request in time: escalated to the secretary".to_owned())
            .guard(order::Column::ClaimDueAt.lt(now));
        Ok(Some((step, row.id)))
    }
}
