"""Reporting: how the network is used. Definitions (copied to the README):

Period and time zone
    A report covers ``[from, to)``. Days, weeks (Monday to Sunday) and months are calendar periods in
    the time zone of the site asked about (or of the organisation's sites when they share one, else
    UTC), so a day is 23 or 25 hours long on a DST change. Peak hours use each site's own zone.

Connector time
    Only connectors 1..n count (connector 0 is the station itself). What a connector did is read from
    its status history (every StatusNotification opens an interval; the open one runs until now).
    Time before a connector's first status report, or after ``to``, counts for nothing.

sessions
    Charging sessions that *started* in the row's period (on its station or site).
energyKwh
    Each session's delivered energy, shared out over the periods it spans in proportion to the time
    it spent in each: a 10 kWh session from 23:00 to 01:00 gives 5 kWh to each day.
chargingHours
    Connector time in status Charging.
occupiedHours
    Connector time in an occupied status: Preparing, Charging, SuspendedEV, SuspendedEVSE, Finishing
    (1.6) or Occupied (2.0.1).
utilizationPercent
    occupiedHours / available hours x 100, where available hours is connector time in any status
    but Faulted, Unavailable and Unknown (a broken connector is not idle capacity). Connectivity
    does not change it: a connector's last reported status stands while its station is offline
    (a car may well go on charging), so utilisation stays within 0-100 %.
uptimePercent
    up hours / (connectors x hours of the period within the range) x 100: the share of the period
    the connectors could have been used. A connector is *up* while its station is online AND its
    status is not Faulted, Unavailable or Unknown: up hours are available hours less the time the
    station spent offline during them (offline time overlapping a Faulted or Unavailable interval
    is down once, not twice). Online and offline come from the station's connectivity history (an
    interval per websocket connection and per outage; a station a crashed server left online is
    offline from its last message). Time before a station's first recorded connectivity counts as
    online: only recorded offline time is held against it. An outage across midnight is split
    between the days like any other interval.
revenue
    Net collected money (captured minus refunded) of the sessions' payments, shared out like energy.
    0 in the organisation's currency where no payment exists.
peakHours
    A weekday x hour grid in the site's time zone. occupancyPercent: occupied connector time in that
    cell over connector time of that cell in the range x 100. sessionsStarted: sessions started in
    the cell. energyKwh: energy shared out over hours as above.
bottlenecks
    A site (or station) is *at capacity* while every one of its connectors is occupied at once.
    hoursAtCapacity is that time in the range; peakOccupancyPercent the highest occupancy of any
    single clock hour. Ranked by hoursAtCapacity; each gets a recommendation naming when it is full.
"""
