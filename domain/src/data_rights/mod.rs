//! The residents' data rights (PIPL arts. 45 and 47): an export of everything
//! linli holds about a person, and deletion.
//!
//! Deletion erases or anonymises personal data and keeps the records others
//! rely on: the user row stays (so ledger entries, orders, wishes and
//! workflow events keep pointing at it) with the name replaced by
//! [`ANONYMISED_NAME`], phone, address, birth year and unionid nulled, and the
//! openid replaced, so the same WeChat account signs up afresh. Sessions are
//! revoked, roles (community and street) revoked, report-ins ended and posts
//! left, the contact copies on orders for the person nulled, the care profile
//! with its contacts, consents and health notes deleted, the notes of visits
//! about them blanked, and they are unlinked from other elders' profiles
//! (as grid worker, household lead or emergency contact). Civility points
//! stay in their account: the books do not change.
//!
//! Open things are not settled silently: deletion is refused with a
//! `BAD_USER_INPUT` (`openItems`) that lists what to settle first — open
//! orders and wishes by or for them, orders and wishes they hold, pending
//! supermarket redemptions, meal bookings from today on, and being a
//! community's only secretary. Each can be settled with the existing
//! operations (cancel, give back, cancel the redemption or booking, grant
//! the role), so every rule those carry (points released, events written)
//! still applies.
//!
//! A person deletes their own data at once. Someone else's (a secretary
//! acting for a resident who cannot use a phone) takes two staff members:
//! the request waits on the workflow spine until another secretary or grid
//! worker of the community confirms it, and the erase runs in the
//! confirmation's transaction (see [`requests`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde_json::{Value, json};

use crate::canteen::BookingStatus;
use crate::entities::{
    activity_signup, care_consent, care_contact, care_health_note, care_profile, care_visit, community_role,
    data_deletion, dedication_entry, join_request, ledger_account, ledger_entry, ledger_transfer, meal_booking, order,
    post_claim, redemption, report_in, sensitive_access, session, street_role, suggestion, user, wish, wristband,
};
use crate::error::{DomainError, DomainResult};
use crate::joins::JoinStatus;
use crate::orders::OrderStatus;
use crate::org::{Actor, Role};
use crate::party::ReportInStatus;
use crate::supermarket::RedemptionStatus;
use crate::wishes::WishStatus;
use crate::workflow::Status;

mod requests;

pub use requests::{Confirmed, DeletionAction, DeletionRequest, DeletionStatus, next_deletion_status};

crate::area_service!(
    /// A person's own data: the export, and deletion.
    DataRights
);

/// The word the mini-program asks a person to type before deleting.
pub const DELETE_CONFIRMATION: &str = "注销";
/// The name an anonymised person is shown with.
pub const ANONYMISED_NAME: &str = "已注销居民";

/// Why the sessions of a person whose data was deleted ended.
pub(crate) const DELETED_SESSION_REASON: &str = "personal data deleted";

/// `BAD_USER_INPUT` unless the confirmation word was typed.
fn check_confirmation(confirm: &str) -> DomainResult<()> {
    if confirm.trim() == DELETE_CONFIRMATION {
        Ok(())
    } else {
        Err(DomainError::bad_input("confirm", format!("请输入“{DELETE_CONFIRMATION}”以确认删除数据")))
    }
}

/// What a deletion did.
#[derive(Clone, Debug)]
pub struct Deletion {
    pub user_id: i64,
    pub carried_out_by: i64,
    pub at: DateTime<Utc>,
    /// Sessions revoked in the record; the caller also ends them in the fast session store.
    pub ended_sessions: Vec<String>,
}

/// The ids of the rows that match, in order.
async fn ids_where<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    id: E::Column,
    filter: Condition,
) -> DomainResult<Vec<i64>> {
    Ok(E::find().select_only().column(id).filter(filter).order_by_asc(id).into_tuple::<i64>().all(conn).await?)
}

fn ids(list: &[i64]) -> String {
    list.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", ")
}

impl DataRights<'_> {
    /// Everything linli holds about the caller, as JSON. Other people appear
    /// by name only (no phones, no addresses).
    pub async fn export_my_data(self, actor: &Actor) -> DomainResult<Value> {
        let me = actor.user_id;
        let db = &self.d.db;
        let u = user::Entity::find_by_id(me).one(db).await?.ok_or(DomainError::NotFound("user"))?;
        let mut people: HashSet<i64> = HashSet::new();

        let orders = order::Entity::find()
            .filter(
                Condition::any()
                    .add(order::Column::PlacedBy.eq(me))
                    .add(order::Column::OnBehalfOf.eq(me))
                    .add(order::Column::ClaimantId.eq(me))
                    .add(order::Column::AssigneeId.eq(me)),
            )
            .order_by_asc(order::Column::Id)
            .all(db)
            .await?;
        let wishes = wish::Entity::find()
            .filter(
                Condition::any()
                    .add(wish::Column::PlacedBy.eq(me))
                    .add(wish::Column::OnBehalfOf.eq(me))
                    .add(wish::Column::ClaimantId.eq(me)),
            )
            .order_by_asc(wish::Column::Id)
            .all(db)
            .await?;
        for o in &orders {
            people.extend([Some(o.placed_by), o.on_behalf_of, o.claimant_id, o.assignee_id].into_iter().flatten());
        }
        for w in &wishes {
            people.extend([Some(w.placed_by), w.on_behalf_of, w.claimant_id].into_iter().flatten());
        }
        let profile = self.d.care().load_profile(db, me).await?;
        let (consents, notes) = match &profile {
            Some(p) => (
                care_consent::Entity::find()
                    .filter(care_consent::Column::ProfileId.eq(p.id))
                    .order_by_asc(care_consent::Column::Id)
                    .all(db)
                    .await?,
                care_health_note::Entity::find()
                    .filter(care_health_note::Column::ProfileId.eq(p.id))
                    .filter(care_health_note::Column::HiddenAt.is_null())
                    .filter(care_health_note::Column::Body.is_not_null())
                    .order_by_asc(care_health_note::Column::Id)
                    .all(db)
                    .await?,
            ),
            None => (Vec::new(), Vec::new()),
        };
        let visits = care_visit::Entity::find()
            .filter(care_visit::Column::ElderId.eq(me))
            .order_by_asc(care_visit::Column::Id)
            .all(db)
            .await?;
        let access_log = sensitive_access::Entity::find()
            .filter(sensitive_access::Column::SubjectId.eq(me))
            .order_by_asc(sensitive_access::Column::Id)
            .all(db)
            .await?;
        if let Some(p) = &profile {
            people.extend([p.grid_worker_id, p.household_lead_id].into_iter().flatten());
            people.extend(p.emergency_contacts.iter().filter_map(|c| c.linked_user_id));
        }
        people.extend(consents.iter().map(|c| c.recorded_by));
        people.extend(notes.iter().map(|n| n.written_by));
        people.extend(visits.iter().map(|v| v.visitor_id));
        people.extend(access_log.iter().map(|a| a.accessor_id));
        let ids_vec: Vec<i64> = people.into_iter().collect();
        let names: HashMap<i64, String> =
            self.d.org().user_summaries(&ids_vec).await?.into_iter().map(|(id, s)| (id, s.display_name)).collect();
        let name = |id: Option<i64>| -> Value {
            match id {
                Some(id) => json!({ "id": id, "displayName": names.get(&id).cloned().unwrap_or_default() }),
                None => Value::Null,
            }
        };

        let orders_json: Vec<Value> = orders
            .iter()
            .map(|o| {
                let mine = o.on_behalf_of.unwrap_or(o.placed_by) == me;
                json!({
                    "id": o.id,
                    "communityId": o.community_id,
                    "category": o.category,
                    "title": o.title,
                    "description": o.description,
                    "status": o.status,
                    "yourPart": if o.claimant_id == Some(me) || o.assignee_id == Some(me) { "HELPER" } else { "RESIDENT" },
                    // The contact copied onto the order is yours only when the order is for you.
                    "address": if mine { o.address.clone() } else { None },
                    "contactPhone": if mine { o.contact_phone.clone() } else { None },
                    "placedBy": name(Some(o.placed_by)),
                    "onBehalfOf": name(o.on_behalf_of),
                    "claimant": name(o.claimant_id),
                    "completionNote": o.completion_note,
                    "ratingStars": o.rating_stars,
                    "ratingComment": o.rating_comment,
                    "createdAt": o.created_at,
                    "updatedAt": o.updated_at,
                })
            })
            .collect();
        let wishes_json: Vec<Value> = wishes
            .iter()
            .map(|w| {
                json!({
                    "id": w.id,
                    "communityId": w.community_id,
                    "title": w.title,
                    "story": w.story,
                    "status": w.status,
                    "placedBy": name(Some(w.placed_by)),
                    "onBehalfOf": name(w.on_behalf_of),
                    "claimant": name(w.claimant_id),
                    "fulfilNote": w.fulfil_note,
                    "ratingStars": w.rating_stars,
                    "thanks": w.thanks,
                    "createdAt": w.created_at,
                })
            })
            .collect();
        let bookings: Vec<Value> = meal_booking::Entity::find()
            .filter(meal_booking::Column::UserId.eq(me))
            .order_by_asc(meal_booking::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|b| {
                json!({
                    "id": b.id, "communityId": b.community_id, "mealId": b.meal_id, "servedOn": b.served_on,
                    "quantity": b.quantity, "status": b.status, "discountFen": b.discount_fen, "paidFen": b.paid_fen,
                    "paymentMethod": b.payment_method, "paidAt": b.paid_at, "collectedAt": b.collected_at,
                    "cancelledAt": b.cancelled_at, "createdAt": b.created_at,
                })
            })
            .collect();
        let redemptions: Vec<Value> = redemption::Entity::find()
            .filter(redemption::Column::UserId.eq(me))
            .order_by_asc(redemption::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|r| {
                json!({
                    "id": r.id, "communityId": r.community_id, "itemId": r.item_id, "quantity": r.quantity,
                    "points": r.points, "status": r.status, "expiresAt": r.expires_at, "settledAt": r.settled_at,
                    "createdAt": r.created_at,
                })
            })
            .collect();
        let accounts =
            ledger_account::Entity::find().filter(ledger_account::Column::OwnerUserId.eq(me)).all(db).await?;
        let entries = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::AccountId.is_in(accounts.iter().map(|a| a.id)))
            .order_by_asc(ledger_entry::Column::Id)
            .all(db)
            .await?;
        let transfers =
            crate::rows::by_ids::<ledger_transfer::Entity>(db, entries.iter().map(|e| e.transfer_id)).await?;
        let statement: Vec<Value> = accounts
            .iter()
            .map(|a| {
                let lines: Vec<Value> = entries
                    .iter()
                    .filter(|e| e.account_id == a.id)
                    .map(|e| {
                        let t = transfers.get(&e.transfer_id);
                        json!({
                            "amount": e.amount,
                            "kind": t.map(|t| t.kind.clone()),
                            "reason": t.map(|t| t.reason.clone()),
                            "at": e.created_at,
                        })
                    })
                    .collect();
                json!({
                    "communityId": a.community_id, "kind": a.kind, "currency": a.currency,
                    "balance": a.balance, "entries": lines,
                })
            })
            .collect();
        let dedication: Vec<Value> = dedication_entry::Entity::find()
            .filter(dedication_entry::Column::MemberId.eq(me))
            .order_by_asc(dedication_entry::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|d| {
                json!({
                    "communityId": d.community_id, "points": d.points, "reason": d.reason,
                    "source": d.source_kind, "sourceId": d.source_id, "month": d.month, "at": d.created_at,
                })
            })
            .collect();
        let report_ins: Vec<Value> = report_in::Entity::find()
            .filter(report_in::Column::UserId.eq(me))
            .order_by_asc(report_in::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|r| {
                json!({
                    "communityId": r.community_id, "workUnit": r.work_unit, "partyBranch": r.party_branch,
                    "specialties": serde_json::from_str::<Value>(&r.specialties).unwrap_or(Value::Null),
                    "publicPhone": r.public_phone, "status": r.status, "createdAt": r.created_at, "leftAt": r.left_at,
                })
            })
            .collect();
        let post_claims: Vec<Value> = post_claim::Entity::find()
            .filter(post_claim::Column::MemberId.eq(me))
            .all(db)
            .await?
            .into_iter()
            .map(|p| json!({ "postId": p.post_id, "communityId": p.community_id, "claimedAt": p.claimed_at, "leftAt": p.left_at }))
            .collect();
        let signups: Vec<Value> = activity_signup::Entity::find()
            .filter(activity_signup::Column::UserId.eq(me))
            .all(db)
            .await?
            .into_iter()
            .map(|s| {
                json!({
                    "activityId": s.activity_id, "communityId": s.community_id, "signedUpAt": s.signed_up_at,
                    "cancelledAt": s.cancelled_at, "checkedInAt": s.checked_in_at, "serviceMinutes": s.service_minutes,
                })
            })
            .collect();
        let suggestions: Vec<Value> = suggestion::Entity::find()
            .filter(suggestion::Column::MemberId.eq(me))
            .all(db)
            .await?
            .into_iter()
            .map(|s| json!({ "communityId": s.community_id, "text": s.text, "answer": s.answer, "createdAt": s.created_at }))
            .collect();
        let memberships: Vec<Value> = actor
            .memberships()
            .map(|m| {
                json!({
                    "communityId": m.community_id,
                    "community": m.community_name,
                    "roles": m.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let care = profile.as_ref().map(|p| {
            json!({
                "communityId": p.community_id,
                "needs": p.needs.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
                "livesAlone": p.lives_alone,
                "visitIntervalDays": p.visit_interval_days,
                "address": p.address_for_export(),
                "gridWorker": name(p.grid_worker_id),
                "householdLead": name(p.household_lead_id),
                // Your contacts' phones are their personal data: masked here.
                "emergencyContacts": p.emergency_contacts.iter().map(|c| json!({
                    "name": c.name,
                    "relation": c.relation,
                    "phone": crate::privacy::mask_phone(c.phone_for_export()),
                    "linkedUser": name(c.linked_user_id),
                })).collect::<Vec<_>>(),
                "createdAt": p.created_at,
                "updatedAt": p.updated_at,
                "consents": consents.iter().map(|c| json!({
                    "givenBy": c.given_by, "guardianName": c.guardian_name, "guardianRelation": c.guardian_relation,
                    "givenAt": c.given_at, "wordingVersion": c.wording_version, "recordedBy": name(Some(c.recorded_by)),
                    "recordedAt": c.recorded_at, "withdrawnAt": c.withdrawn_at,
                })).collect::<Vec<_>>(),
                "healthNotes": notes.iter().map(|n| json!({
                    "body": n.body, "writtenBy": name(Some(n.written_by)), "writtenAt": n.written_at,
                })).collect::<Vec<_>>(),
            })
        });
        let visits_json: Vec<Value> = visits
            .iter()
            .map(|v| {
                json!({
                    "visitedAt": v.visited_at, "visitor": name(Some(v.visitor_id)), "notes": v.notes,
                    "followUpNeeded": v.follow_up_needed, "followUp": v.follow_up,
                })
            })
            .collect();
        let log_json: Vec<Value> = access_log
            .iter()
            .map(|a| {
                json!({
                    "accessor": name(Some(a.accessor_id)), "field": a.field, "purpose": a.purpose,
                    "careRequestId": a.care_request_id, "communityId": a.community_id, "at": a.at,
                })
            })
            .collect();
        Ok(json!({
            "exportedAt": self.d.clock.now(),
            "profile": {
                "id": u.id,
                "displayName": u.display_name,
                "phone": u.phone,
                "phoneVerifiedAt": u.phone_verified_at,
                "address": u.address,
                "birthYear": u.birth_year,
                "createdAt": u.created_at,
            },
            "memberships": memberships,
            "orders": orders_json,
            "wishes": wishes_json,
            "mealBookings": bookings,
            "redemptions": redemptions,
            "civilityPoints": statement,
            "dedicationEntries": dedication,
            "reportIns": report_ins,
            "postClaims": post_claims,
            "activitySignups": signups,
            "suggestions": suggestions,
            "careProfile": care,
            "visitsAboutYou": visits_json,
            "sensitiveAccessLog": log_json,
        }))
    }

    /// Erases or anonymises the caller's own personal data, at once. Someone
    /// else's data is deleted only through a request a second staff member
    /// confirms ([`DataRights::request_deletion`]): `userId` of another
    /// person is `BAD_USER_INPUT` here, pointing there.
    pub async fn delete_my_data(self, actor: &Actor, user_id: Option<i64>, confirm: &str) -> DomainResult<Deletion> {
        check_confirmation(confirm)?;
        if user_id.is_some_and(|u| u != actor.user_id) {
            return Err(DomainError::bad_input(
                "userId",
                "删除他人的数据需要另一位社区工作人员确认后才能删除：请用 requestDataDeletion 提出申请",
            ));
        }
        let txn = self.d.db.begin().await?;
        let deletion = self.erase(&txn, actor.user_id, actor.user_id, json!({ "carriedOutBy": "SELF" })).await?;
        txn.commit().await?;
        tracing::info!(user_id = actor.user_id, "personal data deleted by the person themself");
        Ok(deletion)
    }

    /// Erases or anonymises `target`'s personal data in the caller's
    /// transaction (refused, writing nothing, while anything is open), and
    /// records the deletion with `how` in its summary. `carried_out_by` is
    /// the person themself or the staff member who asked for them.
    pub(crate) async fn erase<C: ConnectionTrait>(
        self,
        txn: &C,
        target: i64,
        carried_out_by: i64,
        how: Value,
    ) -> DomainResult<Deletion> {
        let now = self.d.clock.now();
        if user::Entity::find_by_id(target).one(txn).await?.is_none() {
            return Err(DomainError::NotFound("user"));
        }
        if data_deletion::Entity::find().filter(data_deletion::Column::UserId.eq(target)).one(txn).await?.is_some() {
            return Err(DomainError::invalid_state("此人的数据已经删除"));
        }
        let open = self.open_items(txn, target, now).await?;
        if !open.is_empty() {
            return Err(DomainError::bad_input("openItems", format!("请先处理这些事项：{}", open.join("；"))));
        }
        let roles = community_role::Entity::find().filter(community_role::Column::UserId.eq(target)).all(txn).await?;
        let communities: HashSet<i64> = roles.iter().map(|r| r.community_id).collect();

        user::ActiveModel {
            id: Set(target),
            openid: Set(format!("deleted:{target}:{}", uuid::Uuid::new_v4().simple())),
            unionid: Set(None),
            display_name: Set(ANONYMISED_NAME.into()),
            phone: Set(None),
            phone_verified_at: Set(None),
            address: Set(None),
            household_id: Set(None),
            birth_year: Set(None),
            ..Default::default()
        }
        .update(txn)
        .await?;
        let ended_sessions: Vec<String> = session::Entity::find()
            .filter(session::Column::UserId.eq(target))
            .filter(session::Column::RevokedAt.is_null())
            .all(txn)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .col_expr(session::Column::RevokeReason, Expr::value(DELETED_SESSION_REASON))
            .filter(session::Column::UserId.eq(target))
            .filter(session::Column::RevokedAt.is_null())
            .exec(txn)
            .await?;
        community_role::Entity::delete_many().filter(community_role::Column::UserId.eq(target)).exec(txn).await?;
        street_role::Entity::delete_many().filter(street_role::Column::UserId.eq(target)).exec(txn).await?;
        join_request::Entity::update_many()
            .col_expr(join_request::Column::Note, Expr::value(Option::<String>::None))
            .filter(join_request::Column::UserId.eq(target))
            .exec(txn)
            .await?;
        join_request::Entity::update_many()
            .col_expr(join_request::Column::Status, Expr::value(JoinStatus::Declined.as_str()))
            .col_expr(join_request::Column::DecidedAt, Expr::value(now))
            .filter(join_request::Column::UserId.eq(target))
            .filter(join_request::Column::Status.eq(JoinStatus::Pending.as_str()))
            .exec(txn)
            .await?;
        report_in::Entity::update_many()
            .col_expr(report_in::Column::Status, Expr::value(ReportInStatus::Left.as_str()))
            .col_expr(report_in::Column::ActiveKey, Expr::value(Option::<String>::None))
            .col_expr(report_in::Column::LeftAt, Expr::value(now))
            .filter(report_in::Column::UserId.eq(target))
            .filter(
                report_in::Column::Status.is_in([ReportInStatus::Pending.as_str(), ReportInStatus::Approved.as_str()]),
            )
            .exec(txn)
            .await?;
        report_in::Entity::update_many()
            .col_expr(report_in::Column::PublicPhone, Expr::value(Option::<String>::None))
            .filter(report_in::Column::UserId.eq(target))
            .exec(txn)
            .await?;
        for c in &communities {
            self.d.posts().leave_all(txn, target, *c, now).await?;
        }
        order::Entity::update_many()
            .col_expr(order::Column::Address, Expr::value(Option::<String>::None))
            .col_expr(order::Column::ContactPhone, Expr::value(Option::<String>::None))
            .filter(
                Condition::any().add(order::Column::OnBehalfOf.eq(target)).add(
                    Condition::all().add(order::Column::PlacedBy.eq(target)).add(order::Column::OnBehalfOf.is_null()),
                ),
            )
            .exec(txn)
            .await?;
        // Their own care profile, with everything under it.
        if let Some(p) = care_profile::Entity::find().filter(care_profile::Column::ElderId.eq(target)).one(txn).await? {
            care_health_note::Entity::delete_many()
                .filter(care_health_note::Column::ProfileId.eq(p.id))
                .exec(txn)
                .await?;
            care_consent::Entity::delete_many().filter(care_consent::Column::ProfileId.eq(p.id)).exec(txn).await?;
            care_contact::Entity::delete_many().filter(care_contact::Column::ProfileId.eq(p.id)).exec(txn).await?;
            care_profile::Entity::delete_by_id(p.id).exec(txn).await?;
        }
        // A wristband worn by them no longer raises alarms for anyone.
        wristband::Entity::delete_many().filter(wristband::Column::ResidentId.eq(target)).exec(txn).await?;
        care_visit::Entity::update_many()
            .col_expr(care_visit::Column::Notes, Expr::value(""))
            .col_expr(care_visit::Column::FollowUp, Expr::value(Option::<String>::None))
            .filter(care_visit::Column::ElderId.eq(target))
            .exec(txn)
            .await?;
        // Their part in other elders' care.
        care_profile::Entity::update_many()
            .col_expr(care_profile::Column::GridWorkerId, Expr::value(Option::<i64>::None))
            .filter(care_profile::Column::GridWorkerId.eq(target))
            .exec(txn)
            .await?;
        care_profile::Entity::update_many()
            .col_expr(care_profile::Column::HouseholdLeadId, Expr::value(Option::<i64>::None))
            .filter(care_profile::Column::HouseholdLeadId.eq(target))
            .exec(txn)
            .await?;
        care_contact::Entity::update_many()
            .col_expr(care_contact::Column::LinkedUserId, Expr::value(Option::<i64>::None))
            .filter(care_contact::Column::LinkedUserId.eq(target))
            .exec(txn)
            .await?;
        let mut summary = json!({
            "anonymisedName": ANONYMISED_NAME,
            "sessionsEnded": ended_sessions.len(),
            "rolesRevoked": roles.iter().map(|r| json!({ "communityId": r.community_id, "role": r.role })).collect::<Vec<_>>(),
        });
        if let (Some(summary), Value::Object(how)) = (summary.as_object_mut(), how) {
            summary.extend(how);
        }
        data_deletion::ActiveModel {
            user_id: Set(target),
            carried_out_by: Set(carried_out_by),
            summary: Set(summary.to_string()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(Deletion { user_id: target, carried_out_by, at: now, ended_sessions })
    }

    /// What must be settled before a person's data can be deleted, in words.
    async fn open_items<C: ConnectionTrait>(self, conn: &C, who: i64, now: DateTime<Utc>) -> DomainResult<Vec<String>> {
        let today = now.with_timezone(&Shanghai).date_naive();
        let unsettled_orders = order::Column::Status.is_in(OrderStatus::texts_where(OrderStatus::is_unsettled));
        let unsettled_wishes = wish::Column::Status.is_in(WishStatus::texts_where(WishStatus::is_unsettled));
        let checks = [
            (
                "本人提出或为本人提出的未完成订单",
                "请取消或等待办结",
                ids_where::<order::Entity, _>(
                    conn,
                    order::Column::Id,
                    Condition::all()
                        .add(
                            Condition::any()
                                .add(order::Column::PlacedBy.eq(who))
                                .add(order::Column::OnBehalfOf.eq(who)),
                        )
                        .add(unsettled_orders),
                )
                .await?,
            ),
            (
                "本人正在办理的订单",
                "请办结或请书记改派",
                ids_where::<order::Entity, _>(
                    conn,
                    order::Column::Id,
                    Condition::any()
                        .add(
                            Condition::all()
                                .add(order::Column::ClaimantId.eq(who))
                                .add(order::Column::Status.is_in(OrderStatus::texts_where(OrderStatus::is_in_hand))),
                        )
                        .add(
                            Condition::all()
                                .add(order::Column::AssigneeId.eq(who))
                                .add(order::Column::Status.eq(OrderStatus::Assigned.as_str())),
                        ),
                )
                .await?,
            ),
            (
                "本人提出或为本人提出的未完成心愿",
                "请取消或等待完成",
                ids_where::<wish::Entity, _>(
                    conn,
                    wish::Column::Id,
                    Condition::all()
                        .add(Condition::any().add(wish::Column::PlacedBy.eq(who)).add(wish::Column::OnBehalfOf.eq(who)))
                        .add(unsettled_wishes),
                )
                .await?,
            ),
            (
                "本人认领的心愿",
                "请完成或退回",
                ids_where::<wish::Entity, _>(
                    conn,
                    wish::Column::Id,
                    Condition::all()
                        .add(wish::Column::ClaimantId.eq(who))
                        .add(wish::Column::Status.is_in(WishStatus::texts_where(WishStatus::is_in_hand))),
                )
                .await?,
            ),
            (
                "待领取的爱心超市兑换",
                "请领取或取消",
                ids_where::<redemption::Entity, _>(
                    conn,
                    redemption::Column::Id,
                    Condition::all()
                        .add(redemption::Column::UserId.eq(who))
                        .add(redemption::Column::Status.eq(RedemptionStatus::Pending.as_str())),
                )
                .await?,
            ),
            (
                "今天及以后的食堂订餐",
                "请取餐或取消",
                ids_where::<meal_booking::Entity, _>(
                    conn,
                    meal_booking::Column::Id,
                    Condition::all()
                        .add(meal_booking::Column::UserId.eq(who))
                        .add(meal_booking::Column::Status.eq(BookingStatus::Booked.as_str()))
                        .add(meal_booking::Column::ServedOn.gte(today)),
                )
                .await?,
            ),
        ];
        let mut open: Vec<String> = checks
            .into_iter()
            .filter(|(_, _, found)| !found.is_empty())
            .map(|(what, settle, found)| format!("{what}（{}）：{settle}", ids(&found)))
            .collect();
        let secretary_of = community_role::Entity::find()
            .filter(community_role::Column::UserId.eq(who))
            .filter(community_role::Column::Role.eq(Role::Secretary.as_str()))
            .all(conn)
            .await?;
        for grant in secretary_of {
            let secretaries = community_role::Entity::find()
                .filter(community_role::Column::CommunityId.eq(grant.community_id))
                .filter(community_role::Column::Role.eq(Role::Secretary.as_str()))
                .count(conn)
                .await?;
            if secretaries <= 1 {
                open.push(format!("本人是社区 #{} 唯一的书记：请先把书记角色授予他人", grant.community_id));
            }
        }
        Ok(open)
    }
}
