//! Elderly care profiles (needs, emergency contacts, the responsible grid
//! worker and household lead), health notes under a separate, recorded
//! consent (PIPL sensitive personal information), and the log of every read
//! of a sensitive field.
//!
//! Who sees what:
//! - the profile: the elder, the people assigned to them (the responsible
//!   grid worker, the household lead), the community's secretaries and its
//!   other grid workers; everyone else gets `NOT_FOUND`;
//! - the full phone, address, emergency contacts' phones and the health
//!   notes: only the people assigned to the elder and the secretaries (and
//!   the elder, for their own); everyone else gets masked values, and `None`
//!   for the notes, with nothing that tells whether notes exist;
//! - every reveal to someone other than the elder writes a row to the access
//!   log, in the call that reveals the value (masked values and fields that
//!   were not asked for write nothing).
//!
//! Withdrawing consent hides the notes at once; [`Domain::erase_withdrawn_health_notes`]
//! (a sweep step) overwrites their text with NULL once [`ERASE_AFTER_HOURS`] have
//! passed. Hidden notes are never shown again, even if consent is given anew.
//! Consent rows are kept as the history.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::Care;
use crate::entities::{
    care_consent, care_contact, care_health_note, care_profile, community_role, sensitive_access, user,
};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role, grid_worker_standing, household_lead_standing};
use crate::pagination::{Page, PageRequest};
use crate::privacy::{self, SensitiveAccess, SensitiveField, log_sensitive_access};
use crate::validate;
use crate::workflow::guarded_update;

crate::string_enum!(CareNeed { Mobility, Meals, MedicationReminders, Hearing, Vision, Memory, Other });

crate::string_enum!(
    /// Who gave a consent: the elder themself, or a guardian for them.
    ConsentGiver {
        Elder = "SELF",
        Guardian,
    }
);

/// Hidden health notes are erased by the sweep this long after consent was withdrawn.
pub const ERASE_AFTER_HOURS: i64 = 24;
/// Visit interval when none is given.
pub const DEFAULT_INTERVAL_ALONE: i32 = 7;
pub const DEFAULT_INTERVAL_OTHERS: i32 = 30;
pub const MAX_CONTACTS: usize = 5;
/// The purpose written to the access log when a care profile is viewed.
pub const PURPOSE_PROFILE_VIEW: &str = "CARE_PROFILE_VIEW";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmergencyContact {
    pub name: String,
    pub relation: String,
    phone: String,
    /// Family who use WeChat themselves.
    pub linked_user_id: Option<i64>,
}

impl EmergencyContact {
    pub(crate) fn phone_for_export(&self) -> &str {
        &self.phone
    }
}

#[derive(Clone, Debug)]
pub struct CareProfile {
    pub id: i64,
    pub community_id: i64,
    pub elder_id: i64,
    pub needs: Vec<CareNeed>,
    pub lives_alone: bool,
    pub visit_interval_days: i32,
    pub grid_worker_id: Option<i64>,
    pub household_lead_id: Option<i64>,
    address: Option<String>,
    phone: Option<String>,
    pub emergency_contacts: Vec<EmergencyContact>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_by: i64,
    pub updated_at: DateTime<Utc>,
}

impl CareProfile {
    /// The assigned grid worker, while they are a grid worker of the community.
    pub fn is_grid_worker(&self, actor: &Actor) -> bool {
        self.grid_worker_id == Some(actor.user_id) && grid_worker_standing(|r| actor.has(self.community_id, r))
    }

    /// The assigned household lead, while they belong to the community.
    pub fn is_household_lead(&self, actor: &Actor) -> bool {
        self.household_lead_id == Some(actor.user_id) && household_lead_standing(|r| actor.has(self.community_id, r))
    }

    /// The people assigned to the elder (while their roles last), and the
    /// community's secretaries: they may see the sensitive fields.
    pub fn entitled(&self, actor: &Actor) -> bool {
        self.is_grid_worker(actor) || self.is_household_lead(actor) || actor.has(self.community_id, Role::Secretary)
    }

    /// Whether the actor may see the profile whoever looks after the elder:
    /// the elder, and those entitled. (A grid worker also sees, masked, the
    /// profiles of her own grid's elders: [`Care::profile`].)
    fn visible_to(&self, actor: &Actor) -> bool {
        actor.user_id == self.elder_id || self.entitled(actor)
    }

    /// The address in full, for the elder's own export.
    pub(crate) fn address_for_export(&self) -> Option<&str> {
        self.address.as_deref()
    }

    fn sees_sensitive(&self, actor: &Actor) -> bool {
        actor.user_id == self.elder_id || self.entitled(actor)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    pub id: i64,
    pub elder_id: i64,
    pub given_by: ConsentGiver,
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<String>,
    pub given_at: DateTime<Utc>,
    pub wording_version: String,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_recorded_by: Option<i64>,
}

impl Consent {
    pub fn stands(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

impl TryFrom<care_consent::Model> for Consent {
    type Error = DomainError;
    fn try_from(m: care_consent::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            elder_id: m.elder_id,
            given_by: ConsentGiver::parse(&m.given_by)?,
            guardian_name: m.guardian_name,
            guardian_relation: m.guardian_relation,
            given_at: m.given_at,
            wording_version: m.wording_version,
            recorded_by: m.recorded_by,
            recorded_at: m.recorded_at,
            withdrawn_at: m.withdrawn_at,
            withdrawal_recorded_by: m.withdrawal_recorded_by,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthNote {
    pub id: i64,
    pub body: String,
    pub written_by: i64,
    pub written_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessLogEntry {
    pub id: i64,
    pub community_id: i64,
    pub accessor_id: i64,
    pub subject_id: i64,
    pub field: SensitiveField,
    pub purpose: String,
    pub care_request_id: Option<i64>,
    pub at: DateTime<Utc>,
}

impl TryFrom<sensitive_access::Model> for AccessLogEntry {
    type Error = DomainError;
    fn try_from(m: sensitive_access::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            accessor_id: m.accessor_id,
            subject_id: m.subject_id,
            field: SensitiveField::parse(&m.field)?,
            purpose: m.purpose,
            care_request_id: m.care_request_id,
            at: m.at,
        })
    }
}

/// Who looks after an elder: for care requests, alarms and visits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElderAssignment {
    pub profile_id: i64,
    pub community_id: i64,
    pub elder_id: i64,
    pub grid_worker_id: Option<i64>,
    pub household_lead_id: Option<i64>,
    pub secretaries: Vec<i64>,
}

impl ElderAssignment {
    /// Everyone assigned, without repeats: grid worker, household lead, secretaries.
    pub fn people(&self) -> Vec<i64> {
        let mut all: Vec<i64> = self.grid_worker_id.into_iter().chain(self.household_lead_id).collect();
        for s in &self.secretaries {
            if !all.contains(s) {
                all.push(*s);
            }
        }
        all
    }

    pub fn includes(&self, user_id: i64) -> bool {
        self.people().contains(&user_id)
    }

    /// The assigned household lead, while they belong to the community (see [`household_lead_standing`]).
    pub fn is_household_lead(&self, actor: &Actor) -> bool {
        self.household_lead_id == Some(actor.user_id) && household_lead_standing(|r| actor.has(self.community_id, r))
    }
}

/// The people assigned to an elder, or `None` when the elder has no care profile.
pub async fn elder_assignment<C: ConnectionTrait>(conn: &C, elder_id: i64) -> DomainResult<Option<ElderAssignment>> {
    let Some(p) = care_profile::Entity::find().filter(care_profile::Column::ElderId.eq(elder_id)).one(conn).await?
    else {
        return Ok(None);
    };
    let secretaries = community_role::Entity::find()
        .filter(community_role::Column::CommunityId.eq(p.community_id))
        .filter(community_role::Column::Role.eq(Role::Secretary.as_str()))
        .order_by_asc(community_role::Column::UserId)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    Ok(Some(ElderAssignment {
        profile_id: p.id,
        community_id: p.community_id,
        elder_id,
        grid_worker_id: p.grid_worker_id,
        household_lead_id: p.household_lead_id,
        secretaries,
    }))
}

/// The users linked to an elder's emergency contacts (family on WeChat).
pub async fn emergency_contact_users<C: ConnectionTrait>(conn: &C, elder_id: i64) -> DomainResult<Vec<i64>> {
    let Some(p) = care_profile::Entity::find().filter(care_profile::Column::ElderId.eq(elder_id)).one(conn).await?
    else {
        return Ok(Vec::new());
    };
    let mut users: Vec<i64> = care_contact::Entity::find()
        .filter(care_contact::Column::ProfileId.eq(p.id))
        .order_by_asc(care_contact::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|c| c.linked_user_id)
        .collect();
    users.dedup();
    Ok(users)
}

#[derive(Clone, Debug)]
pub struct NewContact {
    pub name: String,
    pub relation: String,
    pub phone: String,
    pub linked_user_id: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct SaveCareProfile {
    pub community_id: i64,
    pub elder_id: i64,
    pub needs: Vec<CareNeed>,
    pub lives_alone: bool,
    /// 1 to 365; 7 for those living alone and 30 otherwise when not given.
    pub visit_interval_days: Option<i32>,
    pub grid_worker_id: Option<i64>,
    pub household_lead_id: Option<i64>,
    pub address: Option<String>,
    pub emergency_contacts: Vec<NewContact>,
}

#[derive(Clone, Debug)]
pub struct RecordConsent {
    pub elder_id: i64,
    pub given_by: ConsentGiver,
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<String>,
    /// When it was given (on paper, say); now when not given.
    pub given_at: Option<DateTime<Utc>>,
    pub wording_version: String,
}

fn needs_to_json(needs: &[CareNeed]) -> DomainResult<String> {
    let texts: Vec<&str> = CareNeed::ALL.iter().filter(|n| needs.contains(n)).map(|n| n.as_str()).collect();
    serde_json::to_string(&texts).map_err(DomainError::internal)
}

fn needs_from_json(text: &str) -> DomainResult<Vec<CareNeed>> {
    let texts: Vec<String> = serde_json::from_str(text).map_err(DomainError::internal)?;
    texts.iter().map(|t| CareNeed::parse(t)).collect()
}

/// Client clocks on cheap phones drift; a time this far ahead still counts as now.
pub(crate) const CLOCK_SKEW_MINUTES: i64 = 5;

impl Care<'_> {
    /// Loads a profile with its contacts and the elder's phone.
    pub(crate) async fn load_profile<C: ConnectionTrait>(
        self,
        conn: &C,
        elder_id: i64,
    ) -> DomainResult<Option<CareProfile>> {
        let Some(p) = care_profile::Entity::find().filter(care_profile::Column::ElderId.eq(elder_id)).one(conn).await?
        else {
            return Ok(None);
        };
        let contacts = care_contact::Entity::find()
            .filter(care_contact::Column::ProfileId.eq(p.id))
            .order_by_asc(care_contact::Column::Position)
            .all(conn)
            .await?;
        let phone = user::Entity::find_by_id(elder_id).one(conn).await?.and_then(|u| u.phone);
        Ok(Some(CareProfile {
            id: p.id,
            community_id: p.community_id,
            elder_id: p.elder_id,
            needs: needs_from_json(&p.needs)?,
            lives_alone: p.lives_alone,
            visit_interval_days: p.visit_interval_days,
            grid_worker_id: p.grid_worker_id,
            household_lead_id: p.household_lead_id,
            address: p.address,
            phone,
            emergency_contacts: contacts
                .into_iter()
                .map(|c| EmergencyContact {
                    name: c.name,
                    relation: c.relation,
                    phone: c.phone,
                    linked_user_id: c.linked_user_id,
                })
                .collect(),
            created_by: p.created_by,
            created_at: p.created_at,
            updated_by: p.updated_by,
            updated_at: p.updated_at,
        }))
    }

    /// The profile, if the actor may see it; `NOT_FOUND` otherwise. Besides
    /// the elder and those entitled, a grid worker sees the profiles of the
    /// elders she looks after (her grid's; [`crate::org::Org::looks_after`]),
    /// not another grid's.
    pub async fn profile(self, actor: &Actor, elder_id: i64) -> DomainResult<CareProfile> {
        let profile = self.load_profile(&self.d.db, elder_id).await?.ok_or(DomainError::NotFound("care profile"))?;
        if profile.visible_to(actor) || self.in_their_grid(actor, &profile).await? {
            Ok(profile)
        } else {
            Err(DomainError::NotFound("care profile"))
        }
    }

    /// Whether the actor is a grid worker of the community who looks after the elder.
    async fn in_their_grid(self, actor: &Actor, profile: &CareProfile) -> DomainResult<bool> {
        Ok(actor.has(profile.community_id, Role::GridWorker)
            && self.d.org().looks_after(actor, profile.community_id, profile.elder_id).await?)
    }

    /// Profiles of a community, for its staff, oldest first.
    pub async fn profiles(
        self,
        actor: &Actor,
        community_id: i64,
        page: PageRequest,
    ) -> DomainResult<Page<CareProfile>> {
        actor.require(&authority::CARE_PROFILES, community_id)?;
        let mut cond = Condition::all().add(care_profile::Column::CommunityId.eq(community_id));
        // A grid worker lists the elders of her own grid.
        if let Some(people) = crate::org::Org::people_looked_after(actor, community_id) {
            cond = cond.add(care_profile::Column::ElderId.in_subquery(people));
        }
        let total_count = care_profile::Entity::find().filter(cond.clone()).count(&self.d.db).await?;
        let mut query = care_profile::Entity::find().filter(cond);
        if let Some(after) = page.after {
            query = query.filter(care_profile::Column::Id.gt(after));
        }
        let mut rows = query.order_by_asc(care_profile::Column::Id).limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(p) = self.load_profile(&self.d.db, row.elder_id).await? {
                items.push(p);
            }
        }
        Ok(Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count })
    }

    /// Creates or updates an elder's profile. The secretary and the grid
    /// workers create and update; the household lead updates everything but
    /// who is assigned.
    pub async fn save_profile(self, actor: &Actor, input: SaveCareProfile) -> DomainResult<CareProfile> {
        let c = input.community_id;
        actor.require_member(c)?;
        let existing = self.load_profile(&self.d.db, input.elder_id).await?;
        if let Some(p) = &existing {
            if p.community_id != c {
                actor.require_member(p.community_id)?;
                return Err(DomainError::bad_input(
                    "elderId",
                    "this person's care profile belongs to another community; edit it there",
                ));
            }
            // Another grid's elders are not found, as when reading.
            if !p.visible_to(actor) && !self.in_their_grid(actor, p).await? {
                return Err(DomainError::NotFound("care profile"));
            }
            if !actor.has_any(c, &Role::STAFF) && !p.is_household_lead(actor) {
                return Err(authority::SAVE_CARE_PROFILE.refused());
            }
            if !actor.has_any(c, &Role::STAFF)
                && (p.grid_worker_id != input.grid_worker_id || p.household_lead_id != input.household_lead_id)
            {
                return Err(DomainError::forbidden(
                    "only the secretary or a grid worker may change who is assigned to an elder",
                ));
            }
        } else {
            actor.require(&authority::SAVE_CARE_PROFILE, c)?;
            if !self.d.org().looks_after(actor, c, input.elder_id).await? {
                return Err(DomainError::forbidden(
                    "这位老人不在你负责的网格里，请由该网格的网格员或社区书记建立关爱档案",
                ));
            }
        }
        if !self.d.org().roles_of(&self.d.db, input.elder_id, c).await?.contains(&Role::Resident) {
            return Err(DomainError::bad_input("elderId", "this person is not a resident of the community"));
        }
        if let Some(g) = input.grid_worker_id
            && !self.d.org().roles_of(&self.d.db, g, c).await?.contains(&Role::GridWorker)
        {
            return Err(DomainError::bad_input("gridWorkerId", "this person is not a grid worker of the community"));
        }
        if let Some(h) = input.household_lead_id {
            if h == input.elder_id {
                return Err(DomainError::bad_input("householdLeadId", "the elder cannot be their own household lead"));
            }
            if self.d.org().roles_of(&self.d.db, h, c).await?.is_empty() {
                return Err(DomainError::bad_input(
                    "householdLeadId",
                    "the household lead must belong to the community",
                ));
            }
        }
        let interval = input.visit_interval_days.unwrap_or(if input.lives_alone {
            DEFAULT_INTERVAL_ALONE
        } else {
            DEFAULT_INTERVAL_OTHERS
        });
        if !(1..=365).contains(&interval) {
            return Err(DomainError::bad_input(
                "visitIntervalDays",
                "visit at least once a year: give between 1 and 365 days",
            ));
        }
        let address = validate::optional_text("address", input.address, 200)?;
        if input.emergency_contacts.len() > MAX_CONTACTS {
            return Err(DomainError::bad_input(
                "emergencyContacts",
                format!("at most {MAX_CONTACTS} emergency contacts are kept"),
            ));
        }
        let mut contacts = Vec::with_capacity(input.emergency_contacts.len());
        for contact in input.emergency_contacts {
            let name = validate::required_text("emergencyContacts.name", &contact.name, 30)?;
            let relation = validate::required_text("emergencyContacts.relation", &contact.relation, 20)?;
            let phone = validate::phone("emergencyContacts.phone", &contact.phone)?;
            if let Some(linked) = contact.linked_user_id
                && (linked == input.elder_id || user::Entity::find_by_id(linked).one(&self.d.db).await?.is_none())
            {
                return Err(DomainError::bad_input(
                    "emergencyContacts.linkedUserId",
                    "link a family member's own linli account, or leave it empty",
                ));
            }
            contacts.push((name, relation, phone, contact.linked_user_id));
        }
        let needs = needs_to_json(&input.needs)?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let household = self.d.org().household_of(&txn, input.elder_id).await?;
        let profile_id = match &existing {
            Some(p) => {
                let updated = guarded_update(
                    &txn,
                    care_profile::ActiveModel {
                        needs: Set(needs),
                        lives_alone: Set(input.lives_alone),
                        visit_interval_days: Set(interval),
                        grid_worker_id: Set(input.grid_worker_id),
                        household_lead_id: Set(input.household_lead_id),
                        household_id: Set(household),
                        address: Set(address),
                        updated_by: Set(actor.user_id),
                        updated_at: Set(now),
                        ..Default::default()
                    },
                    Condition::all().add(care_profile::Column::Id.eq(p.id)),
                )
                .await?;
                if !updated {
                    return Err(DomainError::NotFound("care profile"));
                }
                care_contact::Entity::delete_many().filter(care_contact::Column::ProfileId.eq(p.id)).exec(&txn).await?;
                p.id
            }
            None => {
                let inserted = care_profile::ActiveModel {
                    community_id: Set(c),
                    household_id: Set(household),
                    elder_id: Set(input.elder_id),
                    needs: Set(needs),
                    lives_alone: Set(input.lives_alone),
                    visit_interval_days: Set(interval),
                    grid_worker_id: Set(input.grid_worker_id),
                    household_lead_id: Set(input.household_lead_id),
                    address: Set(address),
                    created_by: Set(actor.user_id),
                    created_at: Set(now),
                    updated_by: Set(actor.user_id),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await;
                match inserted.map_err(DomainError::from) {
                    Ok(row) => row.id,
                    Err(DomainError::Conflict(_)) => {
                        return Err(DomainError::Conflict(
                            "this elder's care profile was just created by someone else; reload it".into(),
                        ));
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        for (position, (name, relation, phone, linked)) in contacts.into_iter().enumerate() {
            care_contact::ActiveModel {
                profile_id: Set(profile_id),
                position: Set(position as i32),
                name: Set(name),
                relation: Set(relation),
                phone: Set(phone),
                linked_user_id: Set(linked),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        self.load_profile(&self.d.db, input.elder_id).await?.ok_or(DomainError::NotFound("care profile"))
    }

    async fn reveal(
        self,
        actor: &Actor,
        profile: &CareProfile,
        field: SensitiveField,
        value: Option<&str>,
        mask: fn(&str) -> String,
    ) -> DomainResult<Option<String>> {
        let Some(value) = value else {
            return Ok(None);
        };
        if !profile.sees_sensitive(actor) {
            return Ok(Some(mask(value)));
        }
        if actor.user_id != profile.elder_id {
            log_sensitive_access(
                &self.d.db,
                SensitiveAccess {
                    community_id: profile.community_id,
                    accessor_id: actor.user_id,
                    subject_id: profile.elder_id,
                    field,
                    purpose: PURPOSE_PROFILE_VIEW,
                    care_request_id: None,
                    at: self.d.clock.now(),
                },
            )
            .await?;
        }
        Ok(Some(value.to_owned()))
    }

    /// The elder's phone: in full (and logged) for those entitled, masked for others.
    pub async fn profile_phone(self, actor: &Actor, profile: &CareProfile) -> DomainResult<Option<String>> {
        self.reveal(actor, profile, SensitiveField::Phone, profile.phone.as_deref(), privacy::mask_phone).await
    }

    /// The elder's address: in full (and logged) for those entitled, cut to the building for others.
    pub async fn profile_address(self, actor: &Actor, profile: &CareProfile) -> DomainResult<Option<String>> {
        self.reveal(actor, profile, SensitiveField::Address, profile.address.as_deref(), privacy::mask_address).await
    }

    /// One emergency contact's phone, as [`Self::care_profile_phone`].
    pub async fn contact_phone(
        self,
        actor: &Actor,
        profile: &CareProfile,
        index: usize,
    ) -> DomainResult<Option<String>> {
        let phone = profile.emergency_contacts.get(index).map(|c| c.phone.as_str());
        self.reveal(actor, profile, SensitiveField::EmergencyContactPhone, phone, privacy::mask_phone).await
    }

    /// Whether the phone and address are masked for this actor.
    pub fn profile_masked(self, actor: &Actor, profile: &CareProfile) -> bool {
        !profile.sees_sensitive(actor)
    }

    /// The health notes, newest first, for those entitled (a read that returns
    /// notes is logged); `None` for everyone else.
    pub async fn health_notes(self, actor: &Actor, profile: &CareProfile) -> DomainResult<Option<Vec<HealthNote>>> {
        if !profile.sees_sensitive(actor) {
            return Ok(None);
        }
        let rows = care_health_note::Entity::find()
            .filter(care_health_note::Column::ProfileId.eq(profile.id))
            .filter(care_health_note::Column::HiddenAt.is_null())
            .filter(care_health_note::Column::Body.is_not_null())
            .order_by_desc(care_health_note::Column::Id)
            .all(&self.d.db)
            .await?;
        let notes: Vec<HealthNote> = rows
            .into_iter()
            .filter_map(|r| {
                r.body.map(|body| HealthNote { id: r.id, body, written_by: r.written_by, written_at: r.written_at })
            })
            .collect();
        if !notes.is_empty() && actor.user_id != profile.elder_id {
            log_sensitive_access(
                &self.d.db,
                SensitiveAccess {
                    community_id: profile.community_id,
                    accessor_id: actor.user_id,
                    subject_id: profile.elder_id,
                    field: SensitiveField::HealthNotes,
                    purpose: PURPOSE_PROFILE_VIEW,
                    care_request_id: None,
                    at: self.d.clock.now(),
                },
            )
            .await?;
        }
        Ok(Some(notes))
    }

    /// The consent history, newest first, for the elder and those entitled; `None` for others.
    pub async fn consents(self, actor: &Actor, profile: &CareProfile) -> DomainResult<Option<Vec<Consent>>> {
        if !profile.sees_sensitive(actor) {
            return Ok(None);
        }
        care_consent::Entity::find()
            .filter(care_consent::Column::ProfileId.eq(profile.id))
            .order_by_desc(care_consent::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(Consent::try_from)
            .collect::<DomainResult<Vec<_>>>()
            .map(Some)
    }

    fn require_consent_recorder(actor: &Actor, profile: &CareProfile, doing: &str) -> DomainResult<()> {
        // The profile is already one the actor may see (`profile`): the
        // elder, those entitled, or a grid worker looking after the elder.
        if actor.user_id == profile.elder_id
            || profile.entitled(actor)
            || actor.has(profile.community_id, Role::GridWorker)
        {
            Ok(())
        } else {
            Err(DomainError::forbidden(format!(
                "only the elder, the secretary, a grid worker or the household lead may {doing}"
            )))
        }
    }

    /// Records the separate consent health notes need (PIPL art. 29).
    pub async fn record_consent(self, actor: &Actor, input: RecordConsent) -> DomainResult<Consent> {
        let profile = self.profile(actor, input.elder_id).await?;
        Self::require_consent_recorder(actor, &profile, "record consent")?;
        let now = self.d.clock.now();
        let (guardian_name, guardian_relation) = match input.given_by {
            ConsentGiver::Elder => (None, None),
            ConsentGiver::Guardian => {
                let name =
                    validate::required_text("guardianName", input.guardian_name.as_deref().unwrap_or_default(), 30)?;
                let relation = validate::required_text(
                    "guardianRelation",
                    input.guardian_relation.as_deref().unwrap_or_default(),
                    20,
                )?;
                (Some(name), Some(relation))
            }
        };
        let given_at = input.given_at.unwrap_or(now);
        if given_at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
            return Err(DomainError::bad_input("givenAt", "consent cannot be given in the future"));
        }
        let wording = validate::required_text("wordingVersion", &input.wording_version, 20)?;
        let txn = self.d.db.begin().await?;
        let inserted = care_consent::ActiveModel {
            profile_id: Set(profile.id),
            community_id: Set(profile.community_id),
            elder_id: Set(profile.elder_id),
            given_by: Set(input.given_by.as_str().into()),
            guardian_name: Set(guardian_name),
            guardian_relation: Set(guardian_relation),
            given_at: Set(given_at),
            wording_version: Set(wording),
            recorded_by: Set(actor.user_id),
            recorded_at: Set(now),
            active_key: Set(Some(profile.id)),
            withdrawn_at: Set(None),
            withdrawal_recorded_by: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let row = match inserted.map_err(DomainError::from) {
            Ok(row) => row,
            Err(DomainError::Conflict(_)) => {
                return Err(DomainError::Conflict(
                    "consent already stands for this elder; withdraw it first to record a new one".into(),
                ));
            }
            Err(e) => return Err(e),
        };
        txn.commit().await?;
        row.try_into()
    }

    /// Withdraws the standing consent: its notes are hidden at once and erased by the sweep.
    pub async fn withdraw_consent(self, actor: &Actor, elder_id: i64) -> DomainResult<Consent> {
        let profile = self.profile(actor, elder_id).await?;
        Self::require_consent_recorder(actor, &profile, "withdraw consent")?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let standing = care_consent::Entity::find()
            .filter(care_consent::Column::ActiveKey.eq(profile.id))
            .one(&txn)
            .await?
            .ok_or_else(|| DomainError::invalid_state("no consent stands for this elder"))?;
        let withdrawn = guarded_update(
            &txn,
            care_consent::ActiveModel {
                active_key: Set(None),
                withdrawn_at: Set(Some(now)),
                withdrawal_recorded_by: Set(Some(actor.user_id)),
                ..Default::default()
            },
            Condition::all()
                .add(care_consent::Column::Id.eq(standing.id))
                .add(care_consent::Column::ActiveKey.eq(profile.id)),
        )
        .await?;
        if !withdrawn {
            return Err(DomainError::invalid_state("this consent was withdrawn in the meantime"));
        }
        care_health_note::Entity::update_many()
            .col_expr(care_health_note::Column::HiddenAt, Expr::value(now))
            .filter(care_health_note::Column::ProfileId.eq(profile.id))
            .filter(care_health_note::Column::HiddenAt.is_null())
            .exec(&txn)
            .await?;
        let row =
            care_consent::Entity::find_by_id(standing.id).one(&txn).await?.ok_or(DomainError::NotFound("consent"))?;
        txn.commit().await?;
        row.try_into()
    }

    /// Writes a health note; only the people assigned and the secretaries, and only while consent stands.
    pub async fn add_health_note(self, actor: &Actor, elder_id: i64, body: &str) -> DomainResult<HealthNote> {
        let profile = self.profile(actor, elder_id).await?;
        if !profile.entitled(actor) {
            return Err(DomainError::forbidden(
                "only the elder's grid worker, household lead or the secretary may write health notes",
            ));
        }
        let body = validate::required_text("body", body, 1000)?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let no_consent =
            || DomainError::invalid_state("health notes can be written only while the elder's consent stands");
        let standing = care_consent::Entity::find()
            .filter(care_consent::Column::ActiveKey.eq(profile.id))
            .one(&txn)
            .await?
            .ok_or_else(no_consent)?;
        // Touch the consent row: a withdrawal racing this note waits for it
        // (and then hides it), or wins and this note is refused.
        let holds = guarded_update(
            &txn,
            care_consent::ActiveModel { active_key: Set(Some(profile.id)), ..Default::default() },
            Condition::all()
                .add(care_consent::Column::Id.eq(standing.id))
                .add(care_consent::Column::ActiveKey.eq(profile.id)),
        )
        .await?;
        if !holds {
            return Err(no_consent());
        }
        let row = care_health_note::ActiveModel {
            profile_id: Set(profile.id),
            community_id: Set(profile.community_id),
            elder_id: Set(profile.elder_id),
            consent_id: Set(standing.id),
            body: Set(Some(body.clone())),
            written_by: Set(actor.user_id),
            written_at: Set(now),
            hidden_at: Set(None),
            erased_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(HealthNote { id: row.id, body, written_by: row.written_by, written_at: row.written_at })
    }

    /// The sweep step: notes hidden by a withdrawal more than
    /// [`ERASE_AFTER_HOURS`] ago have their text overwritten with NULL.
    /// Returns how many were erased.
    pub async fn erase_withdrawn_health_notes(self) -> DomainResult<u64> {
        let now = self.d.clock.now();
        let erased = care_health_note::Entity::update_many()
            .col_expr(care_health_note::Column::Body, Expr::value(Option::<String>::None))
            .col_expr(care_health_note::Column::ErasedAt, Expr::value(now))
            .filter(care_health_note::Column::HiddenAt.lte(now - Duration::hours(ERASE_AFTER_HOURS)))
            .filter(care_health_note::Column::ErasedAt.is_null())
            .exec(&self.d.db)
            .await?;
        Ok(erased.rows_affected)
    }

    /// The community's access log, newest first, for its secretaries.
    pub async fn sensitive_access_log(
        self,
        actor: &Actor,
        community_id: i64,
        subject_id: Option<i64>,
        page: PageRequest,
    ) -> DomainResult<Page<AccessLogEntry>> {
        actor.require(&authority::SENSITIVE_ACCESS_LOG, community_id)?;
        let mut cond = Condition::all().add(sensitive_access::Column::CommunityId.eq(community_id));
        if let Some(s) = subject_id {
            cond = cond.add(sensitive_access::Column::SubjectId.eq(s));
        }
        self.access_log_page(cond, page).await
    }

    /// Who read the caller's sensitive data, newest first.
    pub async fn my_data_access_log(self, actor: &Actor, page: PageRequest) -> DomainResult<Page<AccessLogEntry>> {
        self.access_log_page(Condition::all().add(sensitive_access::Column::SubjectId.eq(actor.user_id)), page).await
    }

    async fn access_log_page(self, cond: Condition, page: PageRequest) -> DomainResult<Page<AccessLogEntry>> {
        let total_count = sensitive_access::Entity::find().filter(cond.clone()).count(&self.d.db).await?;
        let mut query = sensitive_access::Entity::find().filter(cond);
        if let Some(after) = page.after {
            query = query.filter(sensitive_access::Column::Id.lt(after));
        }
        let mut rows = query.order_by_desc(sensitive_access::Column::Id).limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        Ok(Page {
            items: rows.into_iter().map(AccessLogEntry::try_from).collect::<DomainResult<_>>()?,
            has_next_page,
            has_previous_page: page.after.is_some(),
            total_count,
        })
    }

    /// Latest visit per elder, for the overdue list.
    pub(crate) async fn latest_visits<C: ConnectionTrait>(
        self,
        conn: &C,
        elder_ids: &[i64],
    ) -> DomainResult<HashMap<i64, DateTime<Utc>>> {
        use crate::entities::care_visit;
        use sea_orm::FromQueryResult;
        #[derive(FromQueryResult)]
        struct Latest {
            elder_id: i64,
            last: DateTime<Utc>,
        }
        let rows = care_visit::Entity::find()
            .select_only()
            .column(care_visit::Column::ElderId)
            .column_as(care_visit::Column::VisitedAt.max(), "last")
            .filter(care_visit::Column::ElderId.is_in(elder_ids.iter().copied()))
            .group_by(care_visit::Column::ElderId)
            .into_model::<Latest>()
            .all(conn)
            .await?;
        Ok(rows.into_iter().map(|r| (r.elder_id, r.last)).collect())
    }
}
