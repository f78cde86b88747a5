//! Who may do what: the one authority table. Every operation the API offers
//! (each mutation, each query that returns personal data, each
//! subscription) has exactly one [`Rule`] here, named by its GraphQL field;
//! the service implementing the operation checks its rule
//! ([`Actor::require`]) instead of naming roles itself. A test fails when an
//! operation in the schema has no rule, or a rule names no operation.
//!
//! A rule says who may act ([`Who`]), whether acting on oneself is refused
//! ([`Rule::not_self`]: nobody approves, rates, reviews or awards
//! themselves), and what the act is called in a refusal (Chinese: the people
//! refused read it).

use super::{Actor, Role};
use crate::error::{DomainError, DomainResult};

/// Who may take an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Anyone, signed in or not: signing in itself.
    Anyone,
    /// Any signed-in person, on their own account and records (their
    /// profile, their data, what they placed or booked); the service checks
    /// that the record is theirs.
    Themselves,
    /// Any member of the record's community (any role there, or the street's).
    Member,
    /// A member holding one of these roles in the record's community (a
    /// street's reviewer holds STREET_REVIEWER in each of its communities).
    Roles(&'static [Role]),
    /// Someone holding a position above the unit acted on, as the
    /// organisation's own rules say ([`super::units::may_organise`],
    /// [`super::units::may_appoint`]): county admins over their county,
    /// street reviewers over their street, secretaries inside their community.
    Above,
}

/// One operation's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The GraphQL field that offers it.
    pub operation: &'static str,
    pub who: Who,
    /// Whether acting on oneself is refused (see [`Actor::require_not_self_for`]).
    pub not_self: bool,
    /// What the act is called, in Chinese: "授予角色", "接单".
    pub doing: &'static str,
}

macro_rules! rules {
    ($($(#[$meta:meta])* $name:ident = $op:literal, $who:expr, $doing:literal $(, $not_self:ident)?;)+) => {
        $(
            $(#[$meta])*
            pub const $name: Rule = Rule {
                operation: $op,
                who: $who,
                not_self: rules!(@not_self $($not_self)?),
                doing: $doing,
            };
        )+

        /// Every rule, one per operation.
        pub const RULES: &[Rule] = &[$($name),+];
    };
    (@not_self) => { false };
    (@not_self not_self) => { true };
}

use Who::*;

const SECRETARY: &[Role] = &[Role::Secretary];
const STAFF: &[Role] = &Role::STAFF;

rules! {
    // Signing in and one's own account.
    WECHAT_LOGIN = "wechatLogin", Anyone, "登录";
    REFRESH_SESSION = "refreshSession", Anyone, "续期登录";
    LOGOUT = "logout", Themselves, "退出登录";
    BIND_PHONE = "bindPhone", Themselves, "绑定手机号";
    SET_DISPLAY_NAME = "setDisplayName", Themselves, "修改昵称";
    ME = "me", Themselves, "查看自己的资料";

    // The organisation.
    UNITS = "units", Above, "查看下级单位";
    CREATE_UNIT = "createUnit", Above, "新建单位";
    RENAME_UNIT = "renameUnit", Above, "修改单位名称";
    APPOINT = "appoint", Above, "任命", not_self;
    DISMISS = "dismiss", Above, "免去职务";
    GRANT_ROLE = "grantRole", Above, "授予角色", not_self;
    REVOKE_ROLE = "revokeRole", Above, "收回角色";
    SET_HOUSEHOLD_GROUP = "setHouseholdGroup", Roles(SECRETARY), "分配十联户";
    COMMUNITY_PEOPLE = "communityPeople", Roles(STAFF), "查看社区人员名单";
    SET_OVERDUE_POLICY = "setOverduePolicy", Roles(SECRETARY), "设置超时处理方式";
    REQUEST_TO_JOIN = "requestToJoin", Themselves, "申请加入社区";
    JOIN_REQUESTS = "joinRequests", Roles(STAFF), "查看入户申请";
    APPROVE_JOIN_REQUEST = "approveJoinRequest", Roles(STAFF), "审核入户申请", not_self;
    DECLINE_JOIN_REQUEST = "declineJoinRequest", Roles(STAFF), "审核入户申请", not_self;
}

/// The rule of the operation offered by the GraphQL field `operation`.
pub fn rule(operation: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.operation == operation)
}

/// The roles' names as office workers read them: "社区书记或网格员".
fn role_names(roles: &[Role]) -> String {
    roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("或")
}

impl Actor {
    /// Checks `rule` for an act on a record of `community_id`: `NOT_FOUND`
    /// when the actor is not of the community (its records do not exist for
    /// them), `FORBIDDEN` when they are but hold none of the rule's roles.
    /// Rules that are not about a community's roles pass here; their
    /// services check them where the record is known ([`Who`]).
    pub fn require(&self, rule: &Rule, community_id: i64) -> DomainResult<()> {
        match rule.who {
            Who::Roles(roles) => {
                self.require_member(community_id)?;
                if self.has_any(community_id, roles) {
                    Ok(())
                } else {
                    Err(DomainError::forbidden(format!("只有{}可以{}", role_names(roles), rule.doing)))
                }
            }
            Who::Member => self.require_member(community_id),
            Who::Anyone | Who::Themselves | Who::Above => Ok(()),
        }
    }

    /// Nobody deals with themselves: `FORBIDDEN` when the rule refuses it
    /// and the person the act is about, or whose work it judges, is the actor.
    pub fn require_not_self_for(&self, rule: &Rule, subject: Option<i64>) -> DomainResult<()> {
        if rule.not_self && subject == Some(self.user_id) {
            Err(DomainError::forbidden(format!("这件事涉及你自己，不能由你{}，请由其他负责人办理", rule.doing)))
        } else {
            Ok(())
        }
    }

    /// The communities where the actor may take the operation (for lists
    /// across their communities).
    pub fn communities_for(&self, rule: &Rule) -> Vec<i64> {
        match rule.who {
            Who::Roles(roles) => self.communities_with(roles),
            _ => self.memberships().map(|m| m.community_id).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_one_rule() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.operation), "{} has two rules", rule.operation);
        }
    }

    #[test]
    fn a_refusal_names_the_roles_and_the_act_in_chinese() {
        let actor = Actor::new(7, [(1, "城南社区".to_owned(), Role::Resident)]);
        let refused = actor.require(&JOIN_REQUESTS, 1).unwrap_err();
        assert_eq!(refused.to_string(), "只有网格员或社区书记可以查看入户申请");
        assert!(matches!(actor.require(&JOIN_REQUESTS, 2), Err(DomainError::NotFound(_))));
    }
}
