-- +goose Up
-- Issue #3, the user API: user form fields, PINs, credit log, number pool,
-- switch request queue, offline messages, CLIs, conference rooms, current
-- calls. See the README section "User API tables".

-- The user form of setfield (reference "setfield" field lists), the callback
-- number, the presence string of presence_set and the password recovery pair.
ALTER TABLE tb_users ADD forwardonbusy NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_forwardonbusy DEFAULT '';
ALTER TABLE tb_users ADD forwardonnoanswer NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_forwardonnoanswer DEFAULT '';
ALTER TABLE tb_users ADD forwardalways NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_forwardalways DEFAULT '';
ALTER TABLE tb_users ADD voicemail INT NOT NULL CONSTRAINT df_tb_users_voicemail DEFAULT 0;
ALTER TABLE tb_users ADD musiconhold NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_musiconhold DEFAULT '';
ALTER TABLE tb_users ADD displayname NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_displayname DEFAULT '';
ALTER TABLE tb_users ADD noanswertimeout INT NOT NULL CONSTRAINT df_tb_users_noanswertimeout DEFAULT 0;
ALTER TABLE tb_users ADD forwardearlystart INT NOT NULL CONSTRAINT df_tb_users_forwardearlystart DEFAULT 0;
ALTER TABLE tb_users ADD changesptoring INT NOT NULL CONSTRAINT df_tb_users_changesptoring DEFAULT 0;
ALTER TABLE tb_users ADD convertdtmf INT NOT NULL CONSTRAINT df_tb_users_convertdtmf DEFAULT 0;
ALTER TABLE tb_users ADD playadv INT NOT NULL CONSTRAINT df_tb_users_playadv DEFAULT 0;
ALTER TABLE tb_users ADD playdisc INT NOT NULL CONSTRAINT df_tb_users_playdisc DEFAULT 0;
ALTER TABLE tb_users ADD sendsmsalert INT NOT NULL CONSTRAINT df_tb_users_sendsmsalert DEFAULT 0;
ALTER TABLE tb_users ADD sendemailalert INT NOT NULL CONSTRAINT df_tb_users_sendemailalert DEFAULT 0;
ALTER TABLE tb_users ADD sendsmsreport INT NOT NULL CONSTRAINT df_tb_users_sendsmsreport DEFAULT 0;
ALTER TABLE tb_users ADD senddailyemail INT NOT NULL CONSTRAINT df_tb_users_senddailyemail DEFAULT 0;
ALTER TABLE tb_users ADD sendlowcreditemail INT NOT NULL CONSTRAINT df_tb_users_sendlowcreditemail DEFAULT 0;
ALTER TABLE tb_users ADD sendmonthlyemail INT NOT NULL CONSTRAINT df_tb_users_sendmonthlyemail DEFAULT 0;
ALTER TABLE tb_users ADD sendotheremail INT NOT NULL CONSTRAINT df_tb_users_sendotheremail DEFAULT 0;
ALTER TABLE tb_users ADD notifymissedsms INT NOT NULL CONSTRAINT df_tb_users_notifymissedsms DEFAULT 0;
ALTER TABLE tb_users ADD notifymissedemail INT NOT NULL CONSTRAINT df_tb_users_notifymissedemail DEFAULT 0;
ALTER TABLE tb_users ADD choosecodecs NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_choosecodecs DEFAULT '';
ALTER TABLE tb_users ADD needcodecconversion INT NOT NULL CONSTRAINT df_tb_users_needcodecconversion DEFAULT 0;
ALTER TABLE tb_users ADD discvoice NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_discvoice DEFAULT '';
ALTER TABLE tb_users ADD connectvoice NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_connectvoice DEFAULT '';
ALTER TABLE tb_users ADD sendlowecreditemail INT NOT NULL CONSTRAINT df_tb_users_sendlowecreditemail DEFAULT 0;
ALTER TABLE tb_users ADD voicemailonbusy INT NOT NULL CONSTRAINT df_tb_users_voicemailonbusy DEFAULT 0;
ALTER TABLE tb_users ADD voicemailonnoansw INT NOT NULL CONSTRAINT df_tb_users_voicemailonnoansw DEFAULT 0;
ALTER TABLE tb_users ADD voicemailalways INT NOT NULL CONSTRAINT df_tb_users_voicemailalways DEFAULT 0;
ALTER TABLE tb_users ADD contactname NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_contactname DEFAULT '';
ALTER TABLE tb_users ADD email2 NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_email2 DEFAULT '';
ALTER TABLE tb_users ADD fax NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_fax DEFAULT '';
ALTER TABLE tb_users ADD billaddress NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_billaddress DEFAULT '';
ALTER TABLE tb_users ADD postaddress NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_postaddress DEFAULT '';
ALTER TABLE tb_users ADD regnumber NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_regnumber DEFAULT '';
ALTER TABLE tb_users ADD euregnumber NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_euregnumber DEFAULT '';
ALTER TABLE tb_users ADD birthday NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_birthday DEFAULT '';
ALTER TABLE tb_users ADD gender NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_gender DEFAULT '';
ALTER TABLE tb_users ADD language NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_language DEFAULT '';
ALTER TABLE tb_users ADD utc NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_utc DEFAULT '';
ALTER TABLE tb_users ADD callbacknumber NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_callbacknumber DEFAULT '';
ALTER TABLE tb_users ADD presence NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_presence DEFAULT '';
ALTER TABLE tb_users ADD pwdquestion NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_pwdquestion DEFAULT '';
ALTER TABLE tb_users ADD pwdanswerhash NVARCHAR(255) NOT NULL CONSTRAINT df_tb_users_pwdanswerhash DEFAULT '';
ALTER TABLE tb_users ADD pwdanswerfails INT NOT NULL CONSTRAINT df_tb_users_pwdanswerfails DEFAULT 0;
ALTER TABLE tb_users ADD presencedate DATETIME2;

-- What the caller was charged is tb_cdrs.cost; providercost is what the call
-- cost the operator (profit = cost - providercost); recordingfile is the
-- recording's path below the recordings folder, without extension.
ALTER TABLE tb_cdrs ADD providercost DECIMAL(18,4) NOT NULL CONSTRAINT df_tb_cdrs_providercost DEFAULT 0;
ALTER TABLE tb_cdrs ADD recordingfile NVARCHAR(255) NOT NULL CONSTRAINT df_tb_cdrs_recordingfile DEFAULT '';
CREATE INDEX ix_tb_cdrs_calledid_datum ON tb_cdrs (calledid, datum);
CREATE INDEX ix_tb_cdrs_datum ON tb_cdrs (datum);

-- Recharge PINs: a PIN is used once (usedby/usedat set by one UPDATE).
CREATE TABLE tb_pins (
    id       BIGINT IDENTITY(1,1) PRIMARY KEY,
    pin      NVARCHAR(255)    NOT NULL,
    value    DECIMAL(18,4) NOT NULL DEFAULT 0,
    currency NVARCHAR(255)    NOT NULL DEFAULT '',
    enabled  INT NOT NULL DEFAULT 1,
    expires  DATETIME2,
    usedby   BIGINT,
    usedat   DATETIME2,
    created  DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()
);
CREATE UNIQUE INDEX ux_tb_pins_pin ON tb_pins (pin);

-- Every credit movement made by the API (charge, transfer, addcredit, cccharge).
CREATE TABLE tb_creditlog (
    id          BIGINT IDENTITY(1,1) PRIMARY KEY,
    datum       DATETIME2 NOT NULL,
    userid      BIGINT NOT NULL,
    amount      DECIMAL(18,4) NOT NULL,
    kind        NVARCHAR(255)    NOT NULL,
    otheruserid BIGINT NOT NULL DEFAULT 0,
    ref         NVARCHAR(255)    NOT NULL DEFAULT ''
);
CREATE INDEX ix_tb_creditlog_userid ON tb_creditlog (userid, datum);
CREATE UNIQUE INDEX ux_tb_creditlog_cc ON tb_creditlog (ref) WHERE kind = 'cccharge';

-- Phone number pool: free when userid IS NULL or a lock has expired.
CREATE TABLE tb_phonenumbers (
    id          BIGINT IDENTITY(1,1) PRIMARY KEY,
    number      NVARCHAR(255)    NOT NULL,
    userid      BIGINT,
    lockeduntil DATETIME2,
    lockedat    DATETIME2,
    enabled     INT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_tb_phonenumbers_number ON tb_phonenumbers (number);

-- Switch request queue: callback, p2p and sendfax requests the switch consumes.
CREATE TABLE tb_switchrequests (
    id       BIGINT IDENTITY(1,1) PRIMARY KEY,
    kind     NVARCHAR(255)    NOT NULL,
    userid   BIGINT NOT NULL DEFAULT 0,
    anum     NVARCHAR(255)    NOT NULL DEFAULT '',
    bnum     NVARCHAR(255)    NOT NULL DEFAULT '',
    cnum     NVARCHAR(255)    NOT NULL DEFAULT '',
    filename NVARCHAR(255)    NOT NULL DEFAULT '',
    options  NVARCHAR(255)    NOT NULL DEFAULT '',
    status   INT NOT NULL DEFAULT 0,
    result   NVARCHAR(255)    NOT NULL DEFAULT '',
    created  DATETIME2 NOT NULL,
    updated  DATETIME2 NOT NULL
);
CREATE INDEX ix_tb_switchrequests_status ON tb_switchrequests (status, id);

-- Chat messages (sendim) kept until presence_get/presence_set delivers them.
CREATE TABLE tb_offlinemessages (
    id           BIGINT IDENTITY(1,1) PRIMARY KEY,
    fromuserid   BIGINT NOT NULL,
    fromusername NVARCHAR(255)    NOT NULL,
    touserid     BIGINT NOT NULL,
    txt          NVARCHAR(MAX)    NOT NULL,
    created      DATETIME2 NOT NULL,
    delivered    DATETIME2
);
CREATE INDEX ix_tb_offlinemessages_to ON tb_offlinemessages (touserid, delivered);

-- Pinless caller ids (ANI) of users: one number belongs to one user.
CREATE TABLE tb_clis (
    id      BIGINT IDENTITY(1,1) PRIMARY KEY,
    userid  BIGINT NOT NULL,
    number  NVARCHAR(255)    NOT NULL,
    created DATETIME2 NOT NULL
);
CREATE UNIQUE INDEX ux_tb_clis_number ON tb_clis (number);

-- One conference room per user (getconfroom).
CREATE TABLE tb_confrooms (
    id      BIGINT IDENTITY(1,1) PRIMARY KEY,
    userid  BIGINT NOT NULL,
    room    NVARCHAR(255)    NOT NULL,
    pin     NVARCHAR(255)    NOT NULL DEFAULT '',
    created DATETIME2 NOT NULL
);
CREATE UNIQUE INDEX ux_tb_confrooms_userid ON tb_confrooms (userid);
CREATE UNIQUE INDEX ux_tb_confrooms_room ON tb_confrooms (room);

-- Calls in progress, maintained by the switch (read by callrating).
CREATE TABLE tb_currentcalls (
    id      BIGINT IDENTITY(1,1) PRIMARY KEY,
    callid  NVARCHAR(255)    NOT NULL,
    userid  BIGINT NOT NULL,
    caller  NVARCHAR(255)    NOT NULL DEFAULT '',
    called  NVARCHAR(255)    NOT NULL DEFAULT '',
    started DATETIME2 NOT NULL
);
CREATE UNIQUE INDEX ux_tb_currentcalls_callid ON tb_currentcalls (callid);

-- +goose Down
DROP TABLE tb_currentcalls;
DROP TABLE tb_confrooms;
DROP TABLE tb_clis;
DROP TABLE tb_offlinemessages;
DROP TABLE tb_switchrequests;
DROP TABLE tb_phonenumbers;
DROP TABLE tb_creditlog;
DROP TABLE tb_pins;
DROP INDEX ix_tb_cdrs_datum ON tb_cdrs;
DROP INDEX ix_tb_cdrs_calledid_datum ON tb_cdrs;
ALTER TABLE tb_cdrs DROP CONSTRAINT df_tb_cdrs_recordingfile;
ALTER TABLE tb_cdrs DROP COLUMN recordingfile;
ALTER TABLE tb_cdrs DROP CONSTRAINT df_tb_cdrs_providercost;
ALTER TABLE tb_cdrs DROP COLUMN providercost;
ALTER TABLE tb_users DROP COLUMN presencedate;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_pwdanswerfails;
ALTER TABLE tb_users DROP COLUMN pwdanswerfails;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_pwdanswerhash;
ALTER TABLE tb_users DROP COLUMN pwdanswerhash;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_pwdquestion;
ALTER TABLE tb_users DROP COLUMN pwdquestion;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_presence;
ALTER TABLE tb_users DROP COLUMN presence;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_callbacknumber;
ALTER TABLE tb_users DROP COLUMN callbacknumber;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_utc;
ALTER TABLE tb_users DROP COLUMN utc;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_language;
ALTER TABLE tb_users DROP COLUMN language;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_gender;
ALTER TABLE tb_users DROP COLUMN gender;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_birthday;
ALTER TABLE tb_users DROP COLUMN birthday;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_euregnumber;
ALTER TABLE tb_users DROP COLUMN euregnumber;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_regnumber;
ALTER TABLE tb_users DROP COLUMN regnumber;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_postaddress;
ALTER TABLE tb_users DROP COLUMN postaddress;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_billaddress;
ALTER TABLE tb_users DROP COLUMN billaddress;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_fax;
ALTER TABLE tb_users DROP COLUMN fax;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_email2;
ALTER TABLE tb_users DROP COLUMN email2;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_contactname;
ALTER TABLE tb_users DROP COLUMN contactname;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_voicemailalways;
ALTER TABLE tb_users DROP COLUMN voicemailalways;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_voicemailonnoansw;
ALTER TABLE tb_users DROP COLUMN voicemailonnoansw;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_voicemailonbusy;
ALTER TABLE tb_users DROP COLUMN voicemailonbusy;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_sendlowecreditemail;
ALTER TABLE tb_users DROP COLUMN sendlowecreditemail;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_connectvoice;
ALTER TABLE tb_users DROP COLUMN connectvoice;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_discvoice;
ALTER TABLE tb_users DROP COLUMN discvoice;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_needcodecconversion;
ALTER TABLE tb_users DROP COLUMN needcodecconversion;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_choosecodecs;
ALTER TABLE tb_users DROP COLUMN choosecodecs;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_notifymissedemail;
ALTER TABLE tb_users DROP COLUMN notifymissedemail;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_notifymissedsms;
ALTER TABLE tb_users DROP COLUMN notifymissedsms;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_sendotheremail;
ALTER TABLE tb_users DROP COLUMN sendotheremail;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_sendmonthlyemail;
ALTER TABLE tb_users DROP COLUMN sendmonthlyemail;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_sendlowcreditemail;
ALTER TABLE tb_users DROP COLUMN sendlowcreditemail;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_senddailyemail;
ALTER TABLE tb_users DROP COLUMN senddailyemail;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_sendsmsreport;
ALTER TABLE tb_users DROP COLUMN sendsmsreport;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_sendemailalert;
ALTER TABLE tb_users DROP COLUMN sendemailalert;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_sendsmsalert;
ALTER TABLE tb_users DROP COLUMN sendsmsalert;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_playdisc;
ALTER TABLE tb_users DROP COLUMN playdisc;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_playadv;
ALTER TABLE tb_users DROP COLUMN playadv;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_convertdtmf;
ALTER TABLE tb_users DROP COLUMN convertdtmf;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_changesptoring;
ALTER TABLE tb_users DROP COLUMN changesptoring;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_forwardearlystart;
ALTER TABLE tb_users DROP COLUMN forwardearlystart;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_noanswertimeout;
ALTER TABLE tb_users DROP COLUMN noanswertimeout;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_displayname;
ALTER TABLE tb_users DROP COLUMN displayname;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_musiconhold;
ALTER TABLE tb_users DROP COLUMN musiconhold;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_voicemail;
ALTER TABLE tb_users DROP COLUMN voicemail;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_forwardalways;
ALTER TABLE tb_users DROP COLUMN forwardalways;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_forwardonnoanswer;
ALTER TABLE tb_users DROP COLUMN forwardonnoanswer;
ALTER TABLE tb_users DROP CONSTRAINT df_tb_users_forwardonbusy;
ALTER TABLE tb_users DROP COLUMN forwardonbusy;
