//! Communities, people and the roles they hold. Every record belongs to one
//! community; what a user may see and do follows from their roles there.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::entities::{building, care_profile, community, community_role, household, office_role, street_role, user};
use crate::error::{DomainError, DomainResult};

pub mod authority;
pub mod people;
pub mod roster;
pub mod units;

pub use units::{Appointee, By, Placement, Unit, UnitInfo, UnitKind};

crate::area_service!(
    /// Communities, people, roles and join requests, and the community's overdue policy.
    Org
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Resident,
    PartyMember,
    Volunteer,
    /// Bound to a grid (网格): one per grid, 格中定人、人负其责.
    GridWorker,
    Secretary,
    CanteenOperator,
    /// A member of the red-and-white affairs council (红白理事会); only ever a
    /// party member of the same community.
    BanquetCouncil,
    /// Held on a street; it reaches every community of that street.
    StreetReviewer,
    /// Bound to a building (楼栋长).
    BuildingLead,
    /// Bound to a 十联户 group of about ten households (联户长); places
    /// orders on behalf of its households.
    HouseholdLead,
    /// Sets up and reads a county: its streets, communities and departments.
    CountyAdmin,
    /// Works in a department (职能部门) that answers the street.
    DepartmentStaff,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Resident,
        Role::PartyMember,
        Role::Volunteer,
        Role::GridWorker,
        Role::Secretary,
        Role::CanteenOperator,
        Role::BanquetCouncil,
        Role::StreetReviewer,
        Role::BuildingLead,
        Role::HouseholdLead,
        Role::CountyAdmin,
        Role::DepartmentStaff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "RESIDENT",
            Role::PartyMember => "PARTY_MEMBER",
            Role::Volunteer => "VOLUNTEER",
            Role::GridWorker => "GRID_WORKER",
            Role::Secretary => "SECRETARY",
            Role::CanteenOperator => "CANTEEN_OPERATOR",
            Role::BanquetCouncil => "BANQUET_COUNCIL",
            Role::StreetReviewer => "STREET_REVIEWER",
            Role::BuildingLead => "BUILDING_LEAD",
            Role::HouseholdLead => "HOUSEHOLD_LEAD",
            Role::CountyAdmin => "COUNTY_ADMIN",
            Role::DepartmentStaff => "DEPARTMENT_STAFF",
        }
    }

    /// The role's name as office workers read it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Resident => "居民",
            Role::PartyMember => "党员",
            Role::Volunteer => "志愿者",
            Role::GridWorker => "网格员",
            Role::Secretary => "社区书记",
            Role::CanteenOperator => "食堂经营者",
            Role::BanquetCouncil => "红白理事会成员",
            Role::StreetReviewer => "街道审核员",
            Role::BuildingLead => "楼栋长",
            Role::HouseholdLead => "联户长",
            Role::CountyAdmin => "县级管理员",
            Role::DepartmentStaff => "部门工作人员",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role is held inside a community (at the community or one
    /// of its grids, buildings or 十联户 groups).
    pub fn held_in_community(self) -> bool {
        matches!(self.unit_kind(), UnitKind::Community | UnitKind::Grid | UnitKind::Building | UnitKind::HouseholdGroup)
    }

    /// The kind of unit the role is held at.
    pub fn unit_kind(self) -> UnitKind {
        match self {
            Role::GridWorker => UnitKind::Grid,
            Role::BuildingLead => UnitKind::Building,
            Role::HouseholdLead => UnitKind::HouseholdGroup,
            Role::StreetReviewer => UnitKind::Street,
            Role::CountyAdmin => UnitKind::County,
            Role::DepartmentStaff => UnitKind::Department,
            Role::Resident
            | Role::PartyMember
            | Role::Volunteer
            | Role::Secretary
            | Role::CanteenOperator
            | Role::BanquetCouncil => UnitKind::Community,
        }
    }

    /// Roles that take on work: they see the community's orders and its pool.
    pub const HELPERS: [Role; 2] = [Role::PartyMember, Role::Volunteer];
    /// Roles that run the community's work.
    pub const STAFF: [Role; 2] = [Role::GridWorker, Role::Secretary];
    /// Roles that take or run the community's work: helpers and staff.
    pub const WORKERS: [Role; 4] = [Role::PartyMember, Role::Volunteer, Role::GridWorker, Role::Secretary];
}

/// The signed-in user as the rules see them: who, and what they may do where.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    memberships: BTreeMap<i64, Membership>,
    positions: Vec<Position>,
}

/// A role held at a unit: a grid worker at their grid, a county admin at
/// their county. (A grid worker appointed before grids were bound holds
/// their role at the community.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub role: Role,
    pub unit: Unit,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub community_id: i64,
    pub community_name: String,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn new(user_id: i64, grants: impl IntoIterator<Item = (i64, String, Role)>) -> Self {
        let mut memberships: BTreeMap<i64, Membership> = BTreeMap::new();
        for (community_id, community_name, role) in grants {
            let m = memberships.entry(community_id).or_insert_with(|| Membership {
                community_id,
                community_name,
                roles: Vec::new(),
            });
            if !m.roles.contains(&role) {
                m.roles.push(role);
            }
        }
        for m in memberships.values_mut() {
            m.roles.sort();
        }
        let mut positions: Vec<Position> = memberships
            .values()
            .flat_map(|m| m.roles.iter().map(|role| Position { role: *role, unit: Unit::community(m.community_id) }))
            .filter(|p| p.role.unit_kind() == UnitKind::Community)
            .collect();
        positions.sort();
        Self { user_id, memberships, positions }
    }

    /// As [`Actor::new`], with the positions held at units other than a
    /// community (grids, buildings, groups, streets, departments, counties).
    pub fn with_positions(mut self, positions: impl IntoIterator<Item = Position>) -> Self {
        self.positions.extend(positions);
        self.positions.sort();
        self.positions.dedup();
        self
    }

    /// Every role the actor holds, at its unit.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// Whether the actor holds `role` at `unit` exactly.
    pub fn holds(&self, role: Role, unit: Unit) -> bool {
        self.positions.contains(&Position { role, unit })
    }

    /// The units where the actor holds `role`.
    pub fn units_with(&self, role: Role) -> Vec<Unit> {
        self.positions.iter().filter(|p| p.role == role).map(|p| p.unit).collect()
    }

    pub fn memberships(&self) -> impl Iterator<Item = &Membership> {
        self.memberships.values()
    }

    pub fn belongs_to(&self, community_id: i64) -> bool {
        self.memberships.contains_key(&community_id)
    }

    pub fn has(&self, community_id: i64, role: Role) -> bool {
        self.memberships.get(&community_id).is_some_and(|m| m.roles.contains(&role))
    }

    pub fn has_any(&self, community_id: i64, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(community_id, *r))
    }

    /// Communities where the actor holds any of `roles`.
    pub fn communities_with(&self, roles: &[Role]) -> Vec<i64> {
        self.memberships
            .values()
            .filter(|m| m.roles.iter().any(|r| roles.contains(r)))
            .map(|m| m.community_id)
            .collect()
    }

    /// `NOT_FOUND` unless the actor belongs to the community, so that other
    /// communities' records do not reveal that they exist.
    pub fn require_member(&self, community_id: i64) -> DomainResult<()> {
        if self.belongs_to(community_id) { Ok(()) } else { Err(DomainError::NotFound("community")) }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    pub id: i64,
    pub display_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub display_name: String,
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub address: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        Self {
            id: m.id,
            display_name: m.display_name,
            phone: m.phone,
            phone_verified: m.phone_verified_at.is_some(),
            address: m.address,
            created_at: m.created_at,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Community {
    pub id: i64,
    pub name: String,
    pub street_id: i64,
}

/// The row with this id, when it belongs to one of the actor's communities.
/// Another community's rows are `NOT_FOUND`, as if they did not exist.
pub(crate) async fn in_reach<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    noun: &'static str,
) -> DomainResult<E::Model>
where
    i64: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    use sea_orm::ModelTrait;
    let community: E::Column =
        "community_id".parse().map_err(|_| DomainError::internal(format!("{noun} rows have no community_id")))?;
    let belongs = |row: &E::Model| match row.get(community) {
        sea_orm::Value::BigInt(Some(c)) => actor.belongs_to(c),
        sea_orm::Value::Int(Some(c)) => actor.belongs_to(i64::from(c)),
        _ => false,
    };
    E::find_by_id(id).one(conn).await?.filter(belongs).ok_or(DomainError::NotFound(noun))
}

/// `(community_id, name, role, unit_id)` for each community where the user
/// holds a role through the role table `E`: its `unit` column matched to the
/// community's (a community's own roles, or a street's over its communities).
fn grants_via<E: EntityTrait>(
    user_id: i64,
    (table, user): (E, E::Column),
    (role, role_unit): (E::Column, E::Column),
    (unit, community_unit): (E::Column, community::Column),
) -> SelectStatement {
    Query::select()
        .expr_as(Expr::col((community::Entity, community::Column::Id)), Alias::new("community_id"))
        .column((community::Entity, community::Column::Name))
        .column((table, role))
        .expr_as(Expr::col((table, role_unit)), Alias::new("unit_id"))
        .from(table)
        .inner_join(community::Entity, Expr::col((community::Entity, community_unit)).equals((table, unit)))
        .and_where(Expr::col((table, user)).eq(user_id))
        .to_owned()
}

/// `(0, '', role, unit_id)` for each post the user holds through the role
/// table `E` at a unit above the community (a street, department or county).
fn positions_via<E: EntityTrait>(
    user_id: i64,
    table: E,
    (user, role, unit): (E::Column, E::Column, E::Column),
) -> SelectStatement {
    Query::select()
        .expr_as(Expr::cust("0"), Alias::new("community_id"))
        .expr_as(Expr::cust("''"), Alias::new("name"))
        .column((table, role))
        .expr_as(Expr::col((table, unit)), Alias::new("unit_id"))
        .from(table)
        .and_where(Expr::col((table, user)).eq(user_id))
        .to_owned()
}

impl Org<'_> {
    /// Loads who the user is and what they may do, in one statement.
    pub async fn actor(self, user_id: i64) -> DomainResult<Actor> {
        self.actor_in(&self.d.db, user_id).await
    }

    pub(crate) async fn actor_in<C: ConnectionTrait>(self, conn: &C, user_id: i64) -> DomainResult<Actor> {
        let community_grants = grants_via(
            user_id,
            (community_role::Entity, community_role::Column::UserId),
            (community_role::Column::Role, community_role::Column::UnitId),
            (community_role::Column::CommunityId, community::Column::Id),
        );
        let street_grants = grants_via(
            user_id,
            (street_role::Entity, street_role::Column::UserId),
            (street_role::Column::Role, street_role::Column::StreetId),
            (street_role::Column::StreetId, community::Column::StreetId),
        );
        let query = community_grants
            .clone()
            .union(UnionType::All, street_grants)
            .union(
                UnionType::All,
                positions_via(
                    user_id,
                    street_role::Entity,
                    (street_role::Column::UserId, street_role::Column::Role, street_role::Column::StreetId),
                ),
            )
            .union(
                UnionType::All,
                positions_via(
                    user_id,
                    office_role::Entity,
                    (office_role::Column::UserId, office_role::Column::Role, office_role::Column::UnitId),
                ),
            )
            .to_owned();
        let rows = conn.query_all(&query).await?;
        let mut grants = Vec::with_capacity(rows.len());
        let mut positions = Vec::new();
        for row in rows {
            let community_id: i64 = row.try_get("", "community_id")?;
            let name: String = row.try_get("", "name")?;
            let role: String = row.try_get("", "role")?;
            let unit_id: i64 = row.try_get("", "unit_id")?;
            let Some(role) = Role::parse(&role) else { continue };
            let kind = role.unit_kind();
            if community_id == 0 {
                positions.push(Position { role, unit: Unit::new(kind, unit_id) });
                continue;
            }
            if kind == UnitKind::Street {
                // A street's role reaches each of its communities.
                grants.push((community_id, name, role));
                continue;
            }
            if kind != UnitKind::Community {
                // Held at a grid, building or group; before roles were bound
                // (unit 0), at the whole community.
                let unit = if unit_id == 0 { Unit::community(community_id) } else { Unit::new(kind, unit_id) };
                positions.push(Position { role, unit });
            }
            grants.push((community_id, name, role));
        }
        Ok(Actor::new(user_id, grants).with_positions(positions))
    }

    pub async fn user(self, user_id: i64) -> DomainResult<User> {
        user::Entity::find_by_id(user_id).one(&self.d.db).await?.map(User::from).ok_or(DomainError::NotFound("user"))
    }

    pub async fn user_summaries(self, ids: &[i64]) -> DomainResult<HashMap<i64, UserSummary>> {
        let rows = user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied())).all(&self.d.db).await?;
        Ok(rows.into_iter().map(|u| (u.id, UserSummary { id: u.id, display_name: u.display_name })).collect())
    }

    pub async fn communities(self, ids: &[i64]) -> DomainResult<HashMap<i64, Community>> {
        let rows =
            community::Entity::find().filter(community::Column::Id.is_in(ids.iter().copied())).all(&self.d.db).await?;
        Ok(rows.into_iter().map(|c| (c.id, Community { id: c.id, name: c.name, street_id: c.street_id })).collect())
    }

    /// Roles of one user in one community (used to check an assignee).
    /// Whether a community exists (for clearer errors than a foreign key).
    pub async fn community_exists(self, id: i64) -> DomainResult<bool> {
        Ok(community::Entity::find_by_id(id).one(&self.d.db).await?.is_some())
    }

    pub(crate) async fn roles_of<C: ConnectionTrait>(
        self,
        conn: &C,
        user_id: i64,
        community_id: i64,
    ) -> DomainResult<Vec<Role>> {
        let rows = community_role::Entity::find()
            .filter(community_role::Column::UserId.eq(user_id))
            .filter(community_role::Column::CommunityId.eq(community_id))
            .all(conn)
            .await?;
        Ok(rows.iter().filter_map(|r| Role::parse(&r.role)).collect())
    }

    /// For 代点单: the resident a member of staff acts for, or `None` when
    /// the actor acts for themself. The secretary acts for any resident of
    /// the community, a grid worker for the residents of their grid, a
    /// household lead (联户长) for those of their 十联户 group. `doing` names
    /// the act in the error.
    pub(crate) async fn on_behalf_of(
        self,
        actor: &Actor,
        community_id: i64,
        requested: Option<i64>,
        doing: &str,
    ) -> DomainResult<Option<i64>> {
        let Some(resident) = requested.filter(|r| *r != actor.user_id) else {
            return Ok(None);
        };
        let may_act_for_someone =
            actor.has_any(community_id, &[Role::Secretary, Role::GridWorker, Role::HouseholdLead]);
        if !may_act_for_someone {
            return Err(DomainError::forbidden(format!("只有社区书记、网格员和联户长可以代居民{doing}")));
        }
        if !self.roles_of(&self.d.db, resident, community_id).await?.contains(&Role::Resident) {
            return Err(DomainError::bad_input("onBehalfOf", "这个人不是本社区的居民"));
        }
        if !self.looks_after(actor, community_id, resident).await? {
            return Err(DomainError::forbidden(format!(
                "这位居民不在你负责的网格或十联户里，不能代其{doing}，请联系社区书记"
            )));
        }
        Ok(Some(resident))
    }

    /// The people of a community the actor looks after, as a statement
    /// selecting their user ids, for lists that a grid worker or household
    /// lead sees only for their own households (see [`Org::looks_after`]);
    /// `None` when the actor looks after the whole community.
    pub(crate) fn people_looked_after(actor: &Actor, community_id: i64) -> Option<SelectStatement> {
        if actor.has(community_id, Role::Secretary)
            || actor.has(community_id, Role::StreetReviewer)
            || actor.holds(Role::GridWorker, Unit::community(community_id))
        {
            return None;
        }
        let grids: Vec<i64> = actor.units_with(Role::GridWorker).iter().map(|u| u.id).collect();
        let groups: Vec<i64> = actor.units_with(Role::HouseholdLead).iter().map(|u| u.id).collect();
        let mut reach = sea_orm::Condition::any()
            .add(Expr::col((building::Entity, building::Column::GridId)).is_in(grids.clone()))
            .add(Expr::col((household::Entity, household::Column::GroupId)).is_in(groups));
        if !grids.is_empty() {
            reach = reach.add(Expr::col((user::Entity, user::Column::HouseholdId)).is_null());
        }
        Some(
            Query::select()
                .column((user::Entity, user::Column::Id))
                .from(user::Entity)
                .left_join(
                    household::Entity,
                    Expr::col((household::Entity, household::Column::Id))
                        .equals((user::Entity, user::Column::HouseholdId)),
                )
                .left_join(
                    building::Entity,
                    Expr::col((building::Entity, building::Column::Id))
                        .equals((household::Entity, household::Column::BuildingId)),
                )
                .cond_where(reach)
                .to_owned(),
        )
    }

    /// The household a person lives in, as the roster or the secretary placed them.
    pub(crate) async fn household_of<C: ConnectionTrait>(self, conn: &C, person: i64) -> DomainResult<Option<i64>> {
        Ok(user::Entity::find_by_id(person).one(conn).await?.and_then(|u| u.household_id))
    }

    /// Whether the actor looks after the person in the community: its
    /// secretary (everyone), a grid worker (their grid's households, and
    /// people not yet placed in a household; one appointed before grids were
    /// bound, everyone), a household lead (their 十联户 group's households).
    pub(crate) async fn looks_after(self, actor: &Actor, community_id: i64, person: i64) -> DomainResult<bool> {
        if actor.has(community_id, Role::Secretary) || actor.holds(Role::GridWorker, Unit::community(community_id)) {
            return Ok(true);
        }
        let household = self.household_of(&self.d.db, person).await?;
        self.looks_after_household(actor, community_id, household).await
    }

    /// [`Org::looks_after`] for a record that carries its household (an
    /// order, a visit): `None` is a record of nobody's household yet, which
    /// every grid worker of the community looks after.
    pub(crate) async fn looks_after_household(
        self,
        actor: &Actor,
        community_id: i64,
        household: Option<i64>,
    ) -> DomainResult<bool> {
        if actor.has(community_id, Role::Secretary) || actor.holds(Role::GridWorker, Unit::community(community_id)) {
            return Ok(true);
        }
        let grids = actor.units_with(Role::GridWorker);
        let groups = actor.units_with(Role::HouseholdLead);
        if grids.is_empty() && groups.is_empty() {
            return Ok(false);
        }
        let Some(household) = household else {
            // Not yet placed in a household (joined by invite code): in no
            // grid yet, so every grid worker of the community looks after them.
            return Ok(!grids.is_empty());
        };
        let Some(household) = household::Entity::find_by_id(household).one(&self.d.db).await? else {
            return Ok(false);
        };
        if household.group_id.is_some_and(|g| groups.contains(&Unit::new(UnitKind::HouseholdGroup, g))) {
            return Ok(true);
        }
        let building = building::Entity::find_by_id(household.building_id).one(&self.d.db).await?;
        Ok(building.is_some_and(|b| grids.contains(&Unit::new(UnitKind::Grid, b.grid_id))))
    }

    /// A secretary gives a person of her community a role held at the
    /// community itself (roles held at a grid, building or 十联户 group are
    /// given with [`Org::appoint`], which names the unit).
    pub async fn grant_role(
        self,
        actor: &Actor,
        community_id: i64,
        user_id: i64,
        role: Role,
    ) -> DomainResult<Membership> {
        self.appoint(By::Staff(actor), role, Unit::community(community_id), Appointee::User(user_id)).await?;
        self.membership_of(user_id, community_id).await
    }

    /// Takes away a role held at the community (see [`Org::dismiss`]).
    pub async fn revoke_role(
        self,
        actor: &Actor,
        community_id: i64,
        user_id: i64,
        role: Role,
    ) -> DomainResult<Membership> {
        self.dismiss(By::Staff(actor), role, Unit::community(community_id), user_id).await?;
        self.membership_of(user_id, community_id).await
    }

    async fn membership_of(self, user_id: i64, community_id: i64) -> DomainResult<Membership> {
        let community = community::Entity::find_by_id(community_id)
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("community"))?;
        let mut roles = self.roles_of(&self.d.db, user_id, community_id).await?;
        roles.sort();
        Ok(Membership { community_id, community_name: community.name, roles })
    }

    /// Members of a community holding a role, for the secretary's dispatch list.
    pub async fn people(self, actor: &Actor, community_id: i64, role: Role) -> DomainResult<Vec<UserSummary>> {
        actor.require(&authority::COMMUNITY_PEOPLE, community_id)?;
        let grants = community_role::Entity::find()
            .filter(community_role::Column::CommunityId.eq(community_id))
            .filter(community_role::Column::Role.eq(role.as_str()))
            .order_by_asc(community_role::Column::UserId)
            .all(&self.d.db)
            .await?;
        let ids: Vec<i64> = grants.iter().map(|g| g.user_id).collect();
        let users = self.user_summaries(&ids).await?;
        Ok(ids.iter().filter_map(|id| users.get(id).cloned()).collect())
    }
}

/// A care assignment (the grid worker or household lead responsible for an
/// elder) counts only while its holder still has the standing it needs in
/// the elder's community, read from their roles at each call: the grid
/// worker must hold GRID_WORKER there. Revoking the standing also clears the
/// assignment ([`Org::revoke_role`]), so the two never disagree.
pub(crate) fn grid_worker_standing(holds: impl Fn(Role) -> bool) -> bool {
    holds(Role::GridWorker)
}

/// See [`grid_worker_standing`]: the household lead must hold some role of
/// the community itself (a street's role reaches it but is not of it).
pub(crate) fn household_lead_standing(holds: impl Fn(Role) -> bool) -> bool {
    Role::ALL.into_iter().filter(|r| *r != Role::StreetReviewer).any(holds)
}

/// After a revocation: clears the person's care assignments in the community
/// that the roles they still hold (`remaining`) no longer carry, in the
/// revocation's transaction. Returns how many profiles changed.
async fn clear_lapsed_care_assignments<C: ConnectionTrait>(
    conn: &C,
    community_id: i64,
    user_id: i64,
    remaining: &[Role],
    by: i64,
    now: DateTime<Utc>,
) -> DomainResult<u64> {
    let holds = |r: Role| remaining.contains(&r);
    let slots = [
        (care_profile::Column::GridWorkerId, grid_worker_standing(holds)),
        (care_profile::Column::HouseholdLeadId, household_lead_standing(holds)),
    ];
    let mut changed = 0;
    for (slot, _) in slots.into_iter().filter(|(_, keeps)| !keeps) {
        let cleared = care_profile::Entity::update_many()
            .col_expr(slot, Expr::value(Option::<i64>::None))
            .col_expr(care_profile::Column::UpdatedBy, Expr::value(by))
            .col_expr(care_profile::Column::UpdatedAt, Expr::value(now))
            .filter(care_profile::Column::CommunityId.eq(community_id))
            .filter(slot.eq(user_id))
            .exec(conn)
            .await?;
        changed += cleared.rows_affected;
    }
    Ok(changed)
}

impl Org<'_> {
    /// A community's overdue policy (not sensitive: any viewer of the community may read it).
    pub async fn overdue_policy(self, community_id: i64) -> DomainResult<OverduePolicy> {
        policy_of(&self.d.db, community_id).await
    }

    /// The community's secretary chooses what happens to claimed work past its deadline.
    pub async fn set_overdue_policy(
        self,
        actor: &Actor,
        community_id: i64,
        policy: OverduePolicy,
    ) -> DomainResult<OverduePolicy> {
        actor.require(&authority::SET_OVERDUE_POLICY, community_id)?;
        community::Entity::update_many()
            .col_expr(community::Column::OverduePolicy, Expr::value(policy.as_str()))
            .filter(community::Column::Id.eq(community_id))
            .exec(&self.d.db)
            .await?;
        Ok(policy)
    }
}

crate::string_enum!(
    /// What happens to claimed work (orders, wishes) not finished by its deadline.
    #[derive(Default)]
    OverduePolicy {
        /// Back to the pool (or the published list) for someone else to claim.
        #[default]
        ReturnToPool,
        /// Taken out of the pool: escalated, and the secretary is told.
        Escalate,
    }
);

crate::string_enum!(
    /// What a return visit (回访) that finds the resident UNSATISFIED does.
    #[derive(Default)]
    ReturnVisitPolicy {
        /// The order goes back to the pool for the work to be done again.
        #[default]
        Reopen,
        /// The order goes to the street.
        Escalate,
    }
);

impl Org<'_> {
    /// A community's return-visit policy (not sensitive).
    pub async fn return_visit_policy(self, community_id: i64) -> DomainResult<ReturnVisitPolicy> {
        return_visit_policy_of(&self.d.db, community_id).await
    }

    /// The community's secretary chooses what an unsatisfied return visit does.
    pub async fn set_return_visit_policy(
        self,
        actor: &Actor,
        community_id: i64,
        policy: ReturnVisitPolicy,
    ) -> DomainResult<ReturnVisitPolicy> {
        actor.require(&authority::SET_RETURN_VISIT_POLICY, community_id)?;
        community::Entity::update_many()
            .col_expr(community::Column::ReturnVisitPolicy, Expr::value(policy.as_str()))
            .filter(community::Column::Id.eq(community_id))
            .exec(&self.d.db)
            .await?;
        Ok(policy)
    }
}

/// The community's return-visit policy, read through the caller's connection.
pub(crate) async fn return_visit_policy_of<C: ConnectionTrait>(
    conn: &C,
    community_id: i64,
) -> DomainResult<ReturnVisitPolicy> {
    let row = community::Entity::find_by_id(community_id).one(conn).await?.ok_or(DomainError::NotFound("community"))?;
    ReturnVisitPolicy::parse(&row.return_visit_policy)
}

/// The community's policy, read through the caller's connection (a sweep's transaction).
pub(crate) async fn policy_of<C: ConnectionTrait>(conn: &C, community_id: i64) -> DomainResult<OverduePolicy> {
    let row = community::Entity::find_by_id(community_id).one(conn).await?.ok_or(DomainError::NotFound("community"))?;
    OverduePolicy::parse(&row.overdue_policy)
}
