//! Who may do what inside an organization: permissions, roles, and the acting person.

use super::{InvalidInput, OrganizationId, UserId, single_line};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One capability × action. The string form (`contacts.read`) is what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    InboxRead,
    InboxReply,
    InboxAssign,
    ContactsRead,
    ContactsWrite,
    TemplatesRead,
    TemplatesWrite,
    BroadcastsRead,
    BroadcastsSend,
    FlowsRead,
    FlowsEdit,
    SettingsOrganization,
    SettingsChannels,
    TeamManage,
    BillingManage,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::InboxRead,
        Permission::InboxReply,
        Permission::InboxAssign,
        Permission::ContactsRead,
        Permission::ContactsWrite,
        Permission::TemplatesRead,
        Permission::TemplatesWrite,
        Permission::BroadcastsRead,
        Permission::BroadcastsSend,
        Permission::FlowsRead,
        Permission::FlowsEdit,
        Permission::SettingsOrganization,
        Permission::SettingsChannels,
        Permission::TeamManage,
        Permission::BillingManage,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Permission::InboxRead => "inbox.read",
            Permission::InboxReply => "inbox.reply",
            Permission::InboxAssign => "inbox.assign",
            Permission::ContactsRead => "contacts.read",
            Permission::ContactsWrite => "contacts.write",
            Permission::TemplatesRead => "templates.read",
            Permission::TemplatesWrite => "templates.write",
            Permission::BroadcastsRead => "broadcasts.read",
            Permission::BroadcastsSend => "broadcasts.send",
            Permission::FlowsRead => "flows.read",
            Permission::FlowsEdit => "flows.edit",
            Permission::SettingsOrganization => "settings.organization",
            Permission::SettingsChannels => "settings.channels",
            Permission::TeamManage => "team.manage",
            Permission::BillingManage => "billing.manage",
        }
    }

    pub fn parse(key: &str) -> Result<Self, InvalidInput> {
        Self::ALL
            .into_iter()
            .find(|p| p.key() == key)
            .ok_or_else(|| InvalidInput(format!("Unknown permission {key:?}")))
    }

    /// The capability row of the permission matrix.
    pub fn capability(self) -> &'static str {
        match self {
            Permission::InboxRead | Permission::InboxReply | Permission::InboxAssign => "Inbox",
            Permission::ContactsRead | Permission::ContactsWrite => "Contacts",
            Permission::TemplatesRead | Permission::TemplatesWrite => "Templates",
            Permission::BroadcastsRead | Permission::BroadcastsSend => "Broadcasts",
            Permission::FlowsRead | Permission::FlowsEdit => "Chatbot flows",
            Permission::SettingsOrganization | Permission::SettingsChannels => "Settings",
            Permission::TeamManage => "Team",
            Permission::BillingManage => "Billing",
        }
    }

    /// The action column of the permission matrix.
    pub fn action(self) -> &'static str {
        match self {
            Permission::InboxRead
            | Permission::ContactsRead
            | Permission::TemplatesRead
            | Permission::BroadcastsRead
            | Permission::FlowsRead => "View",
            Permission::InboxReply => "Reply",
            Permission::InboxAssign => "Assign",
            Permission::ContactsWrite | Permission::TemplatesWrite => "Edit",
            Permission::FlowsEdit => "Edit",
            Permission::BroadcastsSend => "Send",
            Permission::SettingsOrganization => "Organization",
            Permission::SettingsChannels => "Channels",
            Permission::TeamManage | Permission::BillingManage => "Manage",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn all() -> Self {
        Self(Permission::ALL.into_iter().collect())
    }

    pub fn contains(&self, permission: Permission) -> bool {
        self.0.contains(&permission)
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset(&self, other: &PermissionSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Parses stored or submitted keys; an unknown key is refused rather than silently dropped.
    pub fn parse<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidInput> {
        keys.into_iter().map(Permission::parse).collect::<Result<_, _>>().map(Self)
    }

    pub fn keys(&self) -> Vec<String> {
        self.iter().map(|p| p.key().to_owned()).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The three roles every organization has. Custom roles carry only a permission set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BuiltInRole {
    Owner,
    Admin,
    Agent,
}

impl BuiltInRole {
    pub const ALL: [BuiltInRole; 3] = [BuiltInRole::Owner, BuiltInRole::Admin, BuiltInRole::Agent];

    pub fn key(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "owner",
            BuiltInRole::Admin => "admin",
            BuiltInRole::Agent => "agent",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn name(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "Owner",
            BuiltInRole::Admin => "Admin",
            BuiltInRole::Agent => "Agent",
        }
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            BuiltInRole::Owner => PermissionSet::all(),
            BuiltInRole::Admin => Permission::ALL.into_iter().filter(|p| *p != BillingManage).collect(),
            BuiltInRole::Agent => [InboxRead, InboxReply, ContactsRead, ContactsWrite, TemplatesRead]
                .into_iter()
                .collect(),
        }
    }

    /// Owners and admins sign in through the "Owner / admin" tab; everyone else through "Agent".
    pub fn login_tab(role: Option<BuiltInRole>) -> LoginTab {
        match role {
            Some(BuiltInRole::Owner | BuiltInRole::Admin) => LoginTab::OwnerAdmin,
            Some(BuiltInRole::Agent) | None => LoginTab::Agent,
        }
    }
}

/// The two doors of the login page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginTab {
    OwnerAdmin,
    Agent,
}

impl LoginTab {
    pub fn label(self) -> &'static str {
        match self {
            LoginTab::OwnerAdmin => "Owner / admin login",
            LoginTab::Agent => "Agent login",
        }
    }

    pub fn other(self) -> LoginTab {
        match self {
            LoginTab::OwnerAdmin => LoginTab::Agent,
            LoginTab::Agent => LoginTab::OwnerAdmin,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let name = single_line(raw, "Role name", 2, 40)?;
        if BuiltInRole::ALL.iter().any(|r| r.name().eq_ignore_ascii_case(&name)) {
            return Err(InvalidInput(format!("{name} is a built-in role; choose another name")));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The signed-in person acting inside one organization, with what their role allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: UserId,
    pub organization_id: OrganizationId,
    pub built_in_role: Option<BuiltInRole>,
    pub permissions: PermissionSet,
}

impl Actor {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    pub fn is_owner(&self) -> bool {
        self.built_in_role == Some(BuiltInRole::Owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_key() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.key()).unwrap(), p);
        }
        assert!(Permission::parse("contacts.delete_everything").is_err());
    }

    #[test]
    fn permission_set_refuses_unknown_keys() {
        let set = PermissionSet::parse(["contacts.read", "team.manage"]).unwrap();
        assert!(set.contains(Permission::ContactsRead));
        assert!(set.contains(Permission::TeamManage));
        assert!(!set.contains(Permission::ContactsWrite));
        assert!(PermissionSet::parse(["contacts.read", "nope"]).is_err());
        assert_eq!(set.keys(), vec!["contacts.read", "team.manage"]);
    }

    #[test]
    fn built_in_roles_nest() {
        let owner = BuiltInRole::Owner.permissions();
        let admin = BuiltInRole::Admin.permissions();
        let agent = BuiltInRole::Agent.permissions();
        assert!(agent.is_subset(&admin) && admin.is_subset(&owner));
        assert!(!admin.contains(Permission::BillingManage));
        assert!(!agent.contains(Permission::TeamManage));
    }

    #[test]
    fn login_tab_follows_the_role() {
        assert_eq!(BuiltInRole::login_tab(Some(BuiltInRole::Owner)), LoginTab::OwnerAdmin);
        assert_eq!(BuiltInRole::login_tab(Some(BuiltInRole::Admin)), LoginTab::OwnerAdmin);
        assert_eq!(BuiltInRole::login_tab(Some(BuiltInRole::Agent)), LoginTab::Agent);
        assert_eq!(BuiltInRole::login_tab(None), LoginTab::Agent);
    }

    #[test]
    fn custom_role_cannot_take_a_built_in_name() {
        assert!(RoleName::parse("owner").is_err());
        assert!(RoleName::parse("Supervisor").is_ok());
    }
}
