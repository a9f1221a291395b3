// The pipeline's Dagster schedules: job, cron, on or off, and when each runs next.
import type { PipelineSchedule } from "../api/types";
import { formatDateTime } from "../lib/format";
import { scheduleTone, schedulesByNextTick } from "../lib/pipeline";

export function ScheduleTable({ schedules }: { schedules: PipelineSchedule[] }) {
  if (schedules.length === 0) {
    return <p className="state state-empty">The pipeline has no schedules.</p>;
  }
  return (
    <div className="table-scroll">
      <table aria-label="Schedules">
        <thead>
          <tr>
            <th scope="col">Schedule</th>
            <th scope="col">Job</th>
            <th scope="col">When (cron)</th>
            <th scope="col">Status</th>
            <th scope="col">Next run</th>
          </tr>
        </thead>
        <tbody>
          {schedulesByNextTick(schedules).map((schedule) => (
            <tr key={schedule.name} title={schedule.description ?? undefined}>
              <td>{schedule.name}</td>
              <td>{schedule.job_name}</td>
              <td>
                <code>{schedule.cron_schedule}</code>
                {schedule.execution_timezone && ` ${schedule.execution_timezone}`}
              </td>
              <td>
                <span className={`badge ${scheduleTone(schedule.status)}`}>
                  {schedule.status.toLowerCase()}
                </span>
              </td>
              <td>
                {schedule.next_tick_at === null ? "—" : formatDateTime(schedule.next_tick_at)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
