package builtin

import "mvapi/engine"

// markUserReaders tells the engine which built-ins read fields of c.User
// beyond the lean ones authentication loads (engine.Registry.ReadsUser):
//
//   - status, getdetails: UserStatus reads Status and StatusDate;
//   - search: a user's search is limited to ParentID's users;
//   - the SMS entries: smsSender reads Phone.
//
// A built-in that starts reading Name, Email, Phone, Country, Address,
// Status, StatusDate, IP or ParentID of c.User (or calls Field) belongs here.
func markUserReaders(reg *engine.Registry) {
	reg.ReadsUser("status", "getdetails", "search",
		"sms", "sendsms", "sendsmssync", "sendsmsunicode", "sendsmsunicodesync", "asendsms", "asendsmssync")
}
