//! The organisation's units (county → street → community → grid → building,
//! 十联户 groups, departments) and appointments to them.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use domain::org::{self as o, Appointee, By};

use super::org::{Person, Role, UnitKind, person};
use super::{OrGql, actor, domain, parse_id};

/// Names one unit.
#[derive(InputObject)]
pub struct UnitRef {
    pub kind: UnitKind,
    pub id: ID,
}

impl UnitRef {
    fn unit(&self) -> Result<o::Unit> {
        Ok(o::Unit::new(self.kind.into(), parse_id(&self.id, "unit")?))
    }
}

/// A unit of the organisation.
#[derive(SimpleObject)]
pub struct Unit {
    id: ID,
    kind: UnitKind,
    name: String,
    /// The unit it belongs to (none for a county).
    parent_kind: Option<UnitKind>,
    parent_id: Option<ID>,
}

impl From<o::UnitInfo> for Unit {
    fn from(u: o::UnitInfo) -> Self {
        Self {
            id: u.unit.id.into(),
            kind: u.unit.kind.into(),
            name: u.name,
            parent_kind: u.parent.map(|p| p.kind.into()),
            parent_id: u.parent.map(|p| p.id.into()),
        }
    }
}

/// An appointment that was made: who now holds which role where.
#[derive(SimpleObject)]
pub struct Appointment {
    role: Role,
    unit_kind: UnitKind,
    unit_id: ID,
    person: Option<Person>,
}

#[derive(Default)]
pub struct UnitQuery;

#[derive(Default)]
pub struct UnitMutation;

#[Object]
impl UnitQuery {
    /// The units directly under a unit: a county's streets and county
    /// departments, a street's communities and departments, a community's
    /// grids and 十联户 groups, a grid's buildings. For the staff of the unit
    /// or above it.
    async fn units(&self, ctx: &Context<'_>, parent: UnitRef) -> Result<Vec<Unit>> {
        let actor = actor(ctx).await?;
        let units = domain(ctx).org().children(actor, parent.unit()?).await.gql()?;
        Ok(units.into_iter().map(Into::into).collect())
    }
}

#[Object]
impl UnitMutation {
    /// Creates a unit under `parent`: county admins create streets,
    /// communities and departments; secretaries (and the street and county
    /// above them) create grids, buildings and 十联户 groups. Counties are
    /// created on the server (`linli admin create-county`).
    async fn create_unit(&self, ctx: &Context<'_>, kind: UnitKind, parent: UnitRef, name: String) -> Result<Unit> {
        let actor = actor(ctx).await?;
        let created =
            domain(ctx).org().create_unit(By::Staff(actor), kind.into(), parent.unit()?, &name).await.gql()?;
        Ok(created.into())
    }

    /// Renames a unit; the same people may rename it as may create it.
    async fn rename_unit(&self, ctx: &Context<'_>, unit: UnitRef, name: String) -> Result<Unit> {
        let actor = actor(ctx).await?;
        Ok(domain(ctx).org().rename_unit(By::Staff(actor), unit.unit()?, &name).await.gql()?.into())
    }

    /// Appoints someone to a role at the unit the role is held at (a grid
    /// worker at a grid, a household lead at a 十联户 group, a secretary at a
    /// community, a street reviewer at a street, department staff at a
    /// department, a county admin at a county). Roles are given from above,
    /// and never to oneself. Name the person by `userId` (someone already in
    /// the unit), or, for positions appointed from above (county admin, street
    /// reviewer, department staff, secretary), by `phone` and `name`: they
    /// take the post when they first sign in and bind that phone.
    async fn appoint(
        &self,
        ctx: &Context<'_>,
        role: Role,
        unit_id: ID,
        user_id: Option<ID>,
        phone: Option<String>,
        name: Option<String>,
    ) -> Result<Appointment> {
        let actor = actor(ctx).await?;
        let role: domain::Role = role.into();
        let unit = o::Unit::new(role.unit_kind(), parse_id(&unit_id, "unit")?);
        let who = match (user_id, phone) {
            (Some(u), None) => Appointee::User(parse_id(&u, "user")?),
            (None, Some(phone)) => Appointee::Phone { phone, name: name.unwrap_or_default() },
            _ => {
                return Err(super::gql_error(domain::DomainError::bad_input(
                    "userId",
                    "请给出要任命的人：userId，或手机号 phone 与姓名 name，二选一",
                )));
            }
        };
        let person_id = domain(ctx).org().appoint(By::Staff(actor), role, unit, who).await.gql()?;
        Ok(Appointment {
            role: role.into(),
            unit_kind: unit.kind.into(),
            unit_id: unit.id.into(),
            person: person(ctx, Some(person_id)).await?,
        })
    }

    /// Ends someone's role at a unit; the same people may dismiss as may
    /// appoint. A community keeps at least one secretary.
    async fn dismiss(&self, ctx: &Context<'_>, role: Role, unit_id: ID, user_id: ID) -> Result<bool> {
        let actor = actor(ctx).await?;
        let role: domain::Role = role.into();
        let unit = o::Unit::new(role.unit_kind(), parse_id(&unit_id, "unit")?);
        domain(ctx).org().dismiss(By::Staff(actor), role, unit, parse_id(&user_id, "user")?).await.gql()?;
        Ok(true)
    }

    /// Puts a household in a 十联户 group of its community, or (without
    /// `groupId`) takes it out. For the community's secretary.
    async fn set_household_group(&self, ctx: &Context<'_>, household_id: ID, group_id: Option<ID>) -> Result<bool> {
        let actor = actor(ctx).await?;
        let group = group_id.map(|g| parse_id(&g, "household group")).transpose()?;
        domain(ctx).org().set_household_group(actor, parse_id(&household_id, "household")?, group).await.gql()?;
        Ok(true)
    }
}
