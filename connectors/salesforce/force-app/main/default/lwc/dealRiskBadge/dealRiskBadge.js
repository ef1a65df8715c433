import { LightningElement, api, wire } from 'lwc';
import { getRecord, getFieldValue } from 'lightning/uiRecordApi';
import RISK_SCORE from '@salesforce/schema/Opportunity.Risk_Score__c';
import RISK_CATEGORY from '@salesforce/schema/Opportunity.Risk_Category__c';
import WIN_PROBABILITY from '@salesforce/schema/Opportunity.Win_Probability__c';
import RISK_DRIVERS from '@salesforce/schema/Opportunity.Risk_Drivers__c';
import RECOMMENDED_ACTION from '@salesforce/schema/Opportunity.Recommended_Action__c';
import RISK_SCORED_AT from '@salesforce/schema/Opportunity.Risk_Scored_At__c';
import RISK_MODEL_STATUS from '@salesforce/schema/Opportunity.Risk_Model_Status__c';
import { categoryTheme, formatProbability, statusNote, toLines } from './riskView';

// optionalFields: a rep without the DealRisk_Reader permission set sees "no score" instead of an error.
const FIELDS = [RISK_SCORE, RISK_CATEGORY, WIN_PROBABILITY, RISK_DRIVERS, RECOMMENDED_ACTION, RISK_SCORED_AT, RISK_MODEL_STATUS];

export default class DealRiskBadge extends LightningElement {
    @api recordId;

    @wire(getRecord, { recordId: '$recordId', optionalFields: FIELDS })
    record;

    value(field) {
        return this.record && this.record.data ? getFieldValue(this.record.data, field) : null;
    }

    get error() {
        return this.record && this.record.error ? 'Risk details are not available for this opportunity.' : null;
    }

    get hasScore() {
        return this.value(RISK_SCORE) !== null && this.value(RISK_SCORE) !== undefined;
    }

    get score() {
        return Math.round(this.value(RISK_SCORE));
    }

    get category() {
        return this.value(RISK_CATEGORY) || 'Unrated';
    }

    get badgeClass() {
        return `badge badge_${categoryTheme(this.value(RISK_CATEGORY))}`;
    }

    get badgeLabel() {
        return `${this.category} risk · ${this.score}`;
    }

    get winProbability() {
        return formatProbability(this.value(WIN_PROBABILITY));
    }

    get drivers() {
        return toLines(this.value(RISK_DRIVERS));
    }

    get actions() {
        return toLines(this.value(RECOMMENDED_ACTION));
    }

    get hasDrivers() {
        return this.drivers.length > 0;
    }

    get hasActions() {
        return this.actions.length > 0;
    }

    get note() {
        return statusNote(this.value(RISK_MODEL_STATUS));
    }

    get scoredAt() {
        return this.value(RISK_SCORED_AT);
    }
}
